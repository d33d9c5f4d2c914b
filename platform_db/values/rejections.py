"""One exception for every refused value, naming table, column and value.

PostgreSQL is the last word on what is valid (CHECKs, FKs, NOT NULL, UNIQUE,
types); ``rejecting`` turns its refusal into ``DataRejected`` so callers of
the project's API need to know a single exception, whose message a user can
act on. ``platform_db.values.guarded`` checks a value in Python first.
"""

from __future__ import annotations

import re
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


SECRET_SHOWN = "<secret>"


def masked(column, value):
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
        getattr(table_class, name)._meta.db_column_name: masked(getattr(table_class, name), value)
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
