"""Migrating safely when several instances start at once.

Plain ``piccolo migrations forwards`` has no lock: two processes started
together both see a migration as pending and both run it, and the second
fails half way or, worse, applies raw steps twice. ``migrate`` holds a
PostgreSQL advisory lock for the whole run, so exactly one process applies
each migration and the others wait, then find nothing left to do. It also
sets ``lock_timeout`` on the migration's connections, so a migration that
needs a table another session holds fails fast instead of queueing every
query of the application behind its own lock request.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time

import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine import engine_finder

from platform_db.pooler import session_connection

# A stable 64-bit key for pg_advisory_lock, derived from a name.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"platform-data migrations").digest()[:8], "big", signed=True
)


class MigrationLockTimeout(RuntimeError):
    pass


async def migrate(lock_timeout: str = "5s", wait_seconds: float = 600.0) -> bool:
    """Apply every pending migration of every app; True if any was applied."""
    engine = engine_finder()
    engine.config.setdefault("server_settings", {})["lock_timeout"] = lock_timeout
    # The lock and lock_timeout are session state: never through a pooler.
    connection = await session_connection(engine)
    try:
        await _acquire(connection, wait_seconds)
        applied_before = await _applied_count(connection)
        try:
            result = await run_forwards("all")
        except asyncpg.LockNotAvailableError as exc:
            raise MigrationLockTimeout(
                f"a migration waited more than lock_timeout={lock_timeout} for a table lock "
                f"held by another session ({exc}); nothing of it was applied. Retry when "
                "the long-running transaction has finished, or raise --lock_timeout."
            ) from exc
        if not result.success:
            raise RuntimeError(result.message)
        return await _applied_count(connection) > applied_before
    finally:
        await connection.execute("SELECT pg_advisory_unlock_all()")
        await connection.close()


async def _acquire(connection, wait_seconds: float) -> None:
    if await connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY):
        return
    print("another process is migrating this database; waiting for it", file=sys.stderr)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"gave up waiting {wait_seconds:.0f}s for the migration lock")


async def _applied_count(connection) -> int:
    exists = await connection.fetchval("SELECT to_regclass('public.migration') IS NOT NULL")
    if not exists:
        return 0
    return await connection.fetchval("SELECT count(*) FROM public.migration")
