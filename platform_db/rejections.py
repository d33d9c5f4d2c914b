"""One exception for every refused value, naming table, column and value.

PostgreSQL is the last word on what is valid (CHECKs, FKs, NOT NULL, UNIQUE,
types); ``rejecting`` turns its refusal into ``DataRejected`` so callers of
the project's API need to know a single exception, whose message a user can
act on. ``Guarded`` gives every table ``create`` / ``change`` methods that
check Choices in Python first and translate the database's refusals.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

_KEY_DETAIL = re.compile(r"Key \((?P<columns>.+?)\)=\((?P<values>.*)\)")


# A value is shown up to this long in a message (a whole API record can be
# the value); the exception's ``value`` keeps all of it.
SHOWN_LENGTH = 80


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 3] + "..."


class DataRejected(ValueError):
    """A value the schema refuses; nothing was written."""

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
    table = table_class._meta.get_formatted_tablename(quoted=False)
    reason = exc.args[0] if exc.args else type(exc).__name__
    by_column = {
        getattr(table_class, name)._meta.db_column_name: value
        for name, value in values.items()
        if hasattr(table_class, name)
    }
    column = getattr(exc, "column_name", None)
    if column is None and getattr(exc, "detail", None):
        match = _KEY_DETAIL.search(exc.detail)
        if match:
            column = match["columns"]
            return DataRejected(table, column, by_column.get(column, match["values"]), reason)
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
    """Re-raise the database's refusal of ``values`` as ``DataRejected``."""
    try:
        yield
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        raise await explain(exc, table_class, values) from exc


def _type_problem(column, value) -> str | None:
    """Why ``value`` cannot go into ``column``, checked before PostgreSQL
    (whose type errors name neither the column nor the value)."""
    from piccolo.columns import (
        JSON,
        UUID,
        BigInt,
        Boolean,
        ForeignKey,
        Integer,
        Timestamp,
        Timestamptz,
        Varchar,
    )

    if isinstance(column, (JSON,)):  # JSONB subclasses JSON
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError as exc:
                return f"not valid JSON ({exc})"
            return None
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            return f"not JSON-serializable ({exc})"
    elif isinstance(column, Boolean) and not isinstance(value, bool):
        return "must be true or false"
    elif isinstance(column, (Integer, BigInt)) and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        return "must be an integer"
    elif isinstance(column, (Timestamp, Timestamptz)) and not isinstance(value, datetime):
        return "must be a datetime"
    elif isinstance(column, (UUID, ForeignKey)) and not isinstance(value, uuid.UUID):
        if isinstance(column, ForeignKey) and not isinstance(
            column._foreign_key_meta.resolved_target_column, UUID
        ):
            return None
        try:
            uuid.UUID(str(value))
        except ValueError:
            return "must be a UUID"
    elif isinstance(column, Varchar):
        if not isinstance(value, str):
            return "must be a string"
        if column.length is not None and len(value) > column.length:
            return f"longer than {column.length} characters"
    return None


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
                problem = _type_problem(column, value)
                if problem:
                    raise DataRejected(table, db_name, value, problem)
                if column._meta.choices is not None:
                    value = coerce(table, db_name, value, column._meta.choices).value
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
