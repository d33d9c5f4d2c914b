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

Before the first migration, the ones not yet applied are judged by ``piccolo
platform lint`` (``platform_db.migrations.lint``): a statement the lint finds
unsafe, and that is not acknowledged, stops the deploy before anything runs,
unless the operator says ``--ignore_lint``.
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


class LintRefused(MigrationError):
    """A pending migration has a lint finding; nothing was run."""


async def lint_gate(pending: list[MigrationFile]) -> None:
    """``LintRefused`` when the lint finds an unacknowledged problem in one of
    ``pending`` (the findings printed on stderr first)."""
    from platform_db.migrations.lint import LintError, lint

    if not pending:
        return
    override = "or deploy them anyway with --ignore_lint"
    try:
        report = await lint()
    except (LintError, MigrationError) as exc:
        raise LintRefused(
            f"refused: the lint could not judge the pending migrations ({exc}); nothing was "
            f"run. Fix that, {override}"
        ) from None
    wanted = {(f.app, f.migration_id) for f in pending}
    findings = [
        f
        for f in report.findings
        if (f.migration.file.app, f.migration.file.migration_id) in wanted
    ]
    if not findings:
        return
    for finding in findings:
        print(finding, file=sys.stderr)
    migrations = {(f.migration.file.app, f.migration.file.migration_id) for f in findings}
    raise LintRefused(
        f"refused: the lint found {len(findings)} unsafe statement(s) in {len(migrations)} "
        "pending migration(s) (above); nothing was run. Rewrite them with the online helpers "
        f"(docs/migrations.md, Online patterns), acknowledge a finding in its migration, {override}"
    )


async def migrate(
    timeouts: Timeouts, wait_seconds: float = 600.0, lint: bool = True
) -> list[MigrationFile]:
    """Apply every pending migration of every app, once; the ones this
    process applied (another process may have applied some meanwhile).
    ``lint``: judge the pending ones first (``lint_gate``)."""
    lock = DeployLock(wait_seconds)
    await lock.take()
    done: list[MigrationFile] = []
    try:
        await ensure_migration_table()
        pending = await pending_files()
        if lint:
            # Under the lock: a deploy that waited finds nothing left to judge.
            await lint_gate(pending)
        for file in pending:
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
