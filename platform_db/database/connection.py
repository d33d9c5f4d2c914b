"""A raw asyncpg connection for the apps' bulk paths and SQL functions:
Piccolo's per-row query building costs ~200 µs a row (PICCOLO_NOTES.md),
asyncpg's binary COPY a few.

Inside ``async with DB.transaction():`` every helper here works on that
transaction's connection, so what it writes commits or rolls back with the
caller's transaction (and never waits on locks the caller holds)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

from piccolo.table import Table

from platform_db.database.engine import engine_connection
from platform_db.database.replicas import read


@asynccontextmanager
async def connection(table: type[Table], given=None) -> AsyncIterator:
    """``given`` if not None; else a connection of the table's engine
    (``engine_connection``)."""
    if given is not None:
        yield given
        return
    async with engine_connection(table._meta.db) as conn:
        yield conn


async def copy_rows(table: type[Table], columns: Sequence[str], records: Iterable[tuple]) -> int:
    """Binary COPY of ``records`` (tuples in ``columns`` order) into ``table``;
    all or nothing: inside the caller's transaction, a savepoint, so that a
    refused COPY leaves that transaction usable. Returns the rows copied."""
    async with connection(table) as conn, conn.transaction():
        status = await conn.copy_records_to_table(
            table._meta.tablename,
            schema_name=table._meta.schema or "public",
            columns=list(columns),
            records=records,
        )
    return int(status.split()[-1])


async def fetch(table: type[Table], sql: str, *args, stale_ok: bool = False) -> list[dict]:
    """The rows of ``sql``; with ``stale_ok``, from a read replica fit to
    answer when there is one (``platform_db.database.replicas``): ``sql`` must only read."""

    async def rows(conn) -> list[dict]:
        return [dict(row) for row in await conn.fetch(sql, *args)]

    if stale_ok:
        return await read(rows, engine=table._meta.db)
    async with connection(table) as conn:
        return await rows(conn)
