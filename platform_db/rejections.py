"""One exception for every refused value, naming table, column and value.

PostgreSQL is the last word on what is valid (CHECKs, FKs, NOT NULL, UNIQUE,
types); ``rejecting`` turns its refusal into ``DataRejected`` so callers of
the project's API need to know a single exception, whose message a user can
act on. ``Guarded`` gives every table ``create`` / ``change`` methods that
check Choices in Python first and translate the database's refusals.
"""

from __future__ import annotations

import re
import uuid
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import asyncpg

from platform_db.json_text import SURROGATE_REFUSED, json_text

_KEY_DETAIL = re.compile(r"Key \((?P<columns>.+?)\)=\((?P<values>.*)\)")


# A value is shown up to this long in a message (a whole API record can be
# the value); the exception's ``value`` keeps all of it.
SHOWN_LENGTH = 80


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 3] + "..."


SECRET_SHOWN = "<secret>"


def _masked(column, value):
    """A secret column's value never reaches a message (or a log)."""
    if getattr(getattr(column, "_meta", None), "secret", False) and value is not None:
        return SECRET_SHOWN
    return value


class DataRejected(ValueError):
    """A value the schema refuses; nothing was written. When PostgreSQL
    refused it, ``sqlstate`` and ``constraint`` say how (else None)."""

    sqlstate: str | None = None
    constraint: str | None = None

    def __init__(self, table: str, column: str | None, value: Any, reason: str):
        self.table, self.column, self.value, self.reason = table, column, value, reason
        super().__init__(f"{table}.{column or '?'} = {shown(value)} rejected: {reason}")


async def _constraint_columns(table_class, constraint: str) -> list[str]:
    # A fresh connection: the one that failed may be in an aborted transaction.
    connection = await table_class._meta.db.get_new_connection()
    try:
        rows = await connection.fetch(
            """
            SELECT a.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE c.conname = $1 AND c.conrelid = $2::regclass
            ORDER BY a.attnum
            """,
            constraint,
            table_class._meta.get_formatted_tablename(quoted=False),
        )
    finally:
        await connection.close()
    return [r["attname"] for r in rows]


async def explain(exc: asyncpg.PostgresError, table_class, values: dict) -> DataRejected:
    rejected = await _explain(exc, table_class, values)
    rejected.sqlstate = getattr(exc, "sqlstate", None)
    rejected.constraint = getattr(exc, "constraint_name", None)
    return rejected


def _secret_column(table_class, db_column_name: str) -> bool:
    return any(
        c._meta.secret and c._meta.db_column_name == db_column_name
        for c in table_class._meta.columns
    )


async def _explain(exc: asyncpg.PostgresError, table_class, values: dict) -> DataRejected:
    table = table_class._meta.get_formatted_tablename(quoted=False)
    reason = exc.args[0] if exc.args else type(exc).__name__
    by_column = {
        getattr(table_class, name)._meta.db_column_name: _masked(getattr(table_class, name), value)
        for name, value in values.items()
        if hasattr(table_class, name)
    }
    column = getattr(exc, "column_name", None)
    if column is None and getattr(exc, "detail", None):
        match = _KEY_DETAIL.search(exc.detail)
        if match:
            column = match["columns"]
            quoted = SECRET_SHOWN if _secret_column(table_class, column) else match["values"]
            return DataRejected(table, column, by_column.get(column, quoted), reason)
    if column is None and getattr(exc, "constraint_name", None):
        columns = await _constraint_columns(table_class, exc.constraint_name)
        # A constraint over several columns: blame those this write set.
        columns = [c for c in columns if c in by_column] or columns
        column = ", ".join(columns) or None
        if len(columns) > 1:
            value = {c: by_column.get(c) for c in columns}
            return DataRejected(table, column, value, reason)
    if column is None:
        # Type errors name no column: find the value PostgreSQL quoted.
        for name, value in by_column.items():
            if isinstance(value, str) and f'"{value}"' in reason:
                column = name
                break
    return DataRejected(table, column, by_column.get(column), reason)


@asynccontextmanager
async def rejecting(table_class, values: dict):
    """Re-raise the database's refusal of ``values`` as ``DataRejected``.

    Not chained to PostgreSQL's error: its DETAIL quotes the refused key or
    row (``Key (token_hash)=(...)``, ``Failing row contains (...)``), secrets
    included, and a logged traceback prints a chained error whole. What the
    error told is on the ``DataRejected`` (reason, sqlstate, constraint).
    """
    try:
        yield
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        raise await explain(exc, table_class, values) from None


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
    holds UTC in this project (``platform_db.clock``), as its UTC instant:
    asyncpg refuses to mix the two."""
    from piccolo.columns import Timestamp

    from platform_db.clock import as_utc_naive

    if isinstance(column, Timestamp) and isinstance(value, datetime):
        return as_utc_naive(value)
    return value


class Guarded:
    """Mixin for table classes: validated ``create`` and ``change``."""

    @classmethod
    def _checked(cls, values: dict) -> dict:
        from platform_db.choices import coerce

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
                    raise DataRejected(table, db_name, _masked(column, value), problem)
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
