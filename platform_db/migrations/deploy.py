"""Migrating safely when several instances start at once.

Plain ``piccolo migrations forwards`` has no lock: two processes started
together both see a migration as pending and both run it. ``migrate`` holds
a session-level PostgreSQL advisory lock for the whole run, so the others
wait, then find nothing left to do.

That lock lives on an idle side connection, and a connection can die
(``idle_session_timeout``, a proxy cutting idle connections, a failover,
``pg_terminate_backend``). So the lock is kept alive (pinged, with
``idle_session_timeout`` off for its session) and verified before each
migration, and taken again if it was lost. What makes "each migration
applied once" hold even then is ``platform_db.migrations.runner.apply``: each
migration commits with its record, under a transaction-level lock, after
checking the record again. Each run reports what it applied itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
import time
from dataclasses import dataclass, field

import asyncpg
from piccolo.engine import engine_finder

from platform_db.database import pooler
from platform_db.migrations.runner import (
    MigrationError,
    MigrationFile,
    Timeouts,
    all_migration_files,
    applied_migrations,
    apply,
    ensure_migration_table,
)

# A stable 64-bit key for pg_advisory_lock, derived from a name.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"platform-data migrations").digest()[:8], "big", signed=True
)
KEEPALIVE_SECONDS = 5.0
POLL_SECONDS = 0.2


async def lock_connection() -> asyncpg.Connection:
    """The session that holds the deploy lock, named in pg_stat_activity: the
    server itself, never a pooler (``DATABASE_DIRECT_URL`` when set, which the
    run's other connections then use too; ``platform_db.database.pooler``)."""
    connection = await pooler.session_connection(engine_finder())
    await connection.execute("SET application_name = 'platform-data migrate (deploy lock)'")
    return connection


class DeployLockLost(MigrationError):
    pass


@dataclass
class DeployLock:
    wait_seconds: float
    connection: asyncpg.Connection | None = None
    losses: int = 0
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    _keepalive: asyncio.Task | None = None

    async def acquire(self) -> None:
        self.connection = await lock_connection()
        with contextlib.suppress(asyncpg.UndefinedObjectError):  # before PostgreSQL 14
            await self.connection.execute("SET idle_session_timeout = 0")
        if not await self._try():
            print("another process is migrating this database; waiting for it", file=sys.stderr)
            deadline = time.monotonic() + self.wait_seconds
            while not await self._try():
                if time.monotonic() >= deadline:
                    raise MigrationError(
                        f"gave up waiting {self.wait_seconds:g}s for the migration lock "
                        "(another deploy holds it); nothing was run by this process"
                    )
                await asyncio.sleep(POLL_SECONDS)
        self._keepalive = asyncio.create_task(self._ping())

    async def _try(self) -> bool:
        return await self.connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY)

    async def _ping(self) -> None:
        # Traffic on the lock's session, so nothing between here and the
        # server takes it for idle.
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            async with self._busy:
                with contextlib.suppress(Exception):  # a dead session shows in held()
                    await self.connection.fetchval("SELECT 1")

    async def held(self) -> bool:
        async with self._busy:
            try:
                return await self.connection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted"
                    " AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)",
                    ADVISORY_LOCK_KEY,
                )
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                return False

    async def ensure(self, done: list[MigrationFile]) -> None:
        """Before each migration: the lock is still ours, or is taken again."""
        if await self.held():
            return
        self.losses += 1
        print(
            "the deploy lock's session ended (it was held on an idle connection); "
            "taking the lock again before the next migration",
            file=sys.stderr,
        )
        await self.release()
        try:
            await self.acquire()
        except (MigrationError, OSError, asyncpg.PostgresError) as exc:
            raise DeployLockLost(
                f"lost the deploy lock and could not take it again ({exc}); "
                f"{_applied_summary(done)}; run migrate again"
            ) from None

    async def release(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._keepalive
            self._keepalive = None
        if self.connection is not None:
            # A dead session released its lock already; closing cannot fail.
            with contextlib.suppress(Exception):
                await self.connection.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                await self.connection.close()
            self.connection = None


def _applied_summary(done: list[MigrationFile]) -> str:
    if not done:
        return "this run applied no migration"
    return f"this run applied {len(done)} migration(s), which stay applied: " + ", ".join(
        f.label for f in done
    )


async def pending_files() -> list[MigrationFile]:
    applied = {(a.app, a.migration_id) for a in await applied_migrations()}
    return [f for f in all_migration_files() if (f.app, f.migration_id) not in applied]


async def migrate(timeouts: Timeouts, wait_seconds: float = 600.0) -> list[MigrationFile]:
    """Apply every pending migration of every app, once; the ones this
    process applied (another process may have applied some meanwhile)."""
    lock = DeployLock(wait_seconds)
    await lock.acquire()
    done: list[MigrationFile] = []
    try:
        await ensure_migration_table()
        for file in await pending_files():
            await lock.ensure(done)
            try:
                if await apply(file, timeouts):
                    done.append(file)
                    print(f"ok ({file.app} {file.description})")
            except MigrationError as exc:
                raise MigrationError(f"{exc}; {_applied_summary(done)}") from exc
        return done
    finally:
        await lock.release()
