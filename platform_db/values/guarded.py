"""``Guarded``: every table's ``create`` / ``change``, which check each value
against its column (Choices, type, range, length) in Python before
PostgreSQL sees it, and turn the database's refusals into ``DataRejected``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal

from platform_db.values.choices import coerce
from platform_db.values.clock import as_utc_naive
from platform_db.values.json_text import SURROGATE_REFUSED, json_text
from platform_db.values.rejections import DataRejected, masked, rejecting


def _integer_problem(column, value) -> str | None:
    from piccolo.columns import BigInt, SmallInt

    if isinstance(value, bool) or not isinstance(value, int):
        return "must be an integer"
    bits = 16 if isinstance(column, SmallInt) else 64 if isinstance(column, BigInt) else 32
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        return f"out of range for a {bits}-bit integer"
    return None


def _numeric_problem(column, value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return "must be a number"
    number = Decimal(str(value))
    if column.digits and number.is_finite():
        precision, scale = column.digits
        if abs(round(number, scale)) >= 10 ** (precision - scale):
            return (
                f"needs more than {precision - scale} digits before the decimal point "
                f"(numeric({precision}, {scale}))"
            )
    return None


def _json_problem(column, value) -> str | None:
    from piccolo.columns import JSONB

    try:
        json_text(value, jsonb=isinstance(column, JSONB))
    except ValueError as exc:
        return str(exc)
    return None


def text_problem(value, length: int | None = None) -> str | None:
    """Why ``value`` cannot be stored in a text column (of at most ``length``
    characters), or None."""
    if not isinstance(value, str):
        return "must be a string"
    if "\x00" in value:
        return "contains a NUL character, which PostgreSQL cannot store"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_REFUSED
    if length is not None and len(value) > length:
        return f"longer than {length} characters"
    return None


def _text_problem(column, value) -> str | None:
    from piccolo.columns import Varchar

    return text_problem(value, column.length if isinstance(column, Varchar) else None)


def _uuid_problem(column, value) -> str | None:
    from piccolo.columns import UUID, ForeignKey
    from piccolo.table import Table

    if isinstance(value, (uuid.UUID, Table)):  # a row stands for its primary key
        return None
    if isinstance(column, ForeignKey) and not isinstance(
        column._foreign_key_meta.resolved_target_column, UUID
    ):
        return None
    try:
        uuid.UUID(str(value))
    except ValueError:
        return "must be a UUID"
    return None


def _instance_problem(kind: type, exclude: type | None, wording: str):
    def problem(column, value) -> str | None:
        if isinstance(value, kind) and not (exclude and isinstance(value, exclude)):
            return None
        return wording

    return problem


def _type_problem(column, value) -> str | None:
    """Why ``value`` cannot go into ``column``, checked before PostgreSQL
    (whose type errors name neither the column nor the value)."""
    from piccolo.columns import (
        JSON,
        UUID,
        Boolean,
        Date,
        ForeignKey,
        Integer,
        Numeric,
        Real,
        Text,
        Time,
        Timestamp,
        Timestamptz,
        Varchar,
    )

    checks = (
        (JSON, _json_problem),  # JSONB too
        (Boolean, _instance_problem(bool, None, "must be true or false")),
        (Integer, _integer_problem),  # SmallInt and BigInt too
        (Numeric, _numeric_problem),
        (Real, _instance_problem((int, float, Decimal), bool, "must be a number")),
        ((Timestamp, Timestamptz), _instance_problem(datetime, None, "must be a datetime")),
        (Date, _instance_problem(date, datetime, "must be a date")),
        (Time, _instance_problem(time, None, "must be a time of day")),
        ((UUID, ForeignKey), _uuid_problem),
        ((Varchar, Text), _text_problem),
    )
    for column_types, problem in checks:
        if isinstance(column, column_types):
            return problem(column, value)
    return None


def _utc_if_naive_column(column, value):
    """An aware datetime for a ``TIMESTAMP`` (without time zone) column, which
    holds UTC in this project (``platform_db.values.clock``), as its UTC instant:
    asyncpg refuses to mix the two."""
    from piccolo.columns import Timestamp

    if isinstance(column, Timestamp) and isinstance(value, datetime):
        return as_utc_naive(value)
    return value


class Guarded:
    """Mixin for table classes: validated ``create`` and ``change``."""

    @classmethod
    def _checked(cls, values: dict) -> dict:
        table = cls._meta.get_formatted_tablename(quoted=False)
        checked = {}
        for name, value in values.items():
            column = getattr(cls, name, None)
            if column is None or not hasattr(column, "_meta"):
                raise DataRejected(table, name, value, "no such column")
            db_name = column._meta.db_column_name
            if value is not None:
                # The allowed values say more than "too long" or "not a string".
                if column._meta.choices is not None:
                    value = coerce(table, db_name, value, column._meta.choices).value
                problem = _type_problem(column, value)
                if problem:
                    raise DataRejected(table, db_name, masked(column, value), problem)
                value = _utc_if_naive_column(column, value)
            checked[name] = value
        return checked

    @classmethod
    async def create(cls, **values):
        """Insert one row; ``DataRejected`` if any value is refused."""
        row = cls(**cls._checked(values))
        async with rejecting(cls, values):
            await row.save()
        return row

    async def change(self, **values) -> None:
        """Update these columns of this row; ``DataRejected`` if refused."""
        cls = type(self)
        checked = cls._checked(values)
        async with rejecting(cls, values):
            primary_key = cls._meta.primary_key
            await cls.update({getattr(cls, k): v for k, v in checked.items()}).where(
                primary_key == getattr(self, primary_key._meta.name)
            )
        for name, value in checked.items():
            setattr(self, name, value)
