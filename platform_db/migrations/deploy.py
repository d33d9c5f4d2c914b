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

import hashlib
import sys

import asyncpg

from platform_db.migrations.runner import (
    MigrationError,
    MigrationFile,
    Timeouts,
    all_migration_files,
    applied_migrations,
    apply,
    ensure_migration_table,
)
from platform_db.migrations.sessions import CONNECTION_LOST, SessionLock

# A stable 64-bit key for pg_advisory_lock, derived from a name.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"platform-data migrations").digest()[:8], "big", signed=True
)


class DeployLockLost(MigrationError):
    pass


class DeployLock(SessionLock):
    """The deploy lock: on the server itself, never a pooler
    (``DATABASE_DIRECT_URL`` when set, which the run's other connections then
    use too; ``platform_db.database.pooler``)."""

    def __init__(self, wait_seconds: float):
        super().__init__(
            ADVISORY_LOCK_KEY, "platform-data migrate (deploy lock)", "piccolo platform migrate"
        )
        self.wait_seconds = wait_seconds
        self.losses = 0

    async def take(self) -> None:
        waiting = "another process is migrating this database; waiting for it"
        if not await self.acquire(self.wait_seconds, waiting):
            raise MigrationError(
                f"gave up waiting {self.wait_seconds:g}s for the migration lock "
                "(another deploy holds it); nothing was run by this process"
            )

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
            await self.take()
        except (MigrationError, *CONNECTION_LOST, asyncpg.PostgresError) as exc:
            raise DeployLockLost(
                f"lost the deploy lock and could not take it again ({exc}); "
                f"{_applied_summary(done)}; run migrate again"
            ) from None


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
    await lock.take()
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
