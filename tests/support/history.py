"""History as it stood before a test: a sync that started hours ago, one
that failed yesterday. The database refuses to write such rows (their times
are its clock's: the ``times_from_the_database`` triggers), so a test writes
them with that one trigger off, in a transaction of its own; the table's
owner can, an application role cannot."""

from __future__ import annotations

from contextlib import asynccontextmanager

SYNC_LOG_CLOCK = ("servicetitan_sync_logs", "servicetitan_sync_logs_times_from_the_database")


@asynccontextmanager
async def clock_guard_off(conn, table: str = SYNC_LOG_CLOCK[0], trigger: str = SYNC_LOG_CLOCK[1]):
    """``conn`` in a transaction where ``trigger`` of ``table`` does not fire."""
    async with conn.transaction():
        await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield conn
        await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
