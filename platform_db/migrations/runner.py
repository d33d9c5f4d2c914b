"""How the project runs one migration, on every path: ``piccolo platform
migrate``, ``piccolo platform rollback``, the SQL capture of ``lint`` and
``sql``, and Piccolo's own ``piccolo migrations forwards / backwards``
(through ``platform_db.migrations.hooks``).

- A migration runs with ``lock_timeout`` and ``statement_timeout``: a
  migration that needs a table another session holds gives up after the lock
  timeout instead of queueing every query of the application behind its lock
  request, and is retried a few times with growing pauses (the transaction
  rolled back, so a retry starts clean).
- A migration in a transaction (the default) and its row in Piccolo's
  ``migration`` table commit together; the transaction first takes a
  transaction-level advisory lock and checks the row again, so two processes
  can never both apply (or both reverse) the same migration, whatever
  happened to any session-level lock.
- A migration with ``wrap_in_transaction=False`` (``CREATE INDEX
  CONCURRENTLY``) runs each statement on its own, with the same settings, and
  is recorded once it has finished.

Settings come from the environment (``PLATFORM_LOCK_TIMEOUT``,
``PLATFORM_STATEMENT_TIMEOUT``, ``PLATFORM_LOCK_ATTEMPTS``) or the command's
options; never from the engine's shared configuration.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import os
import random
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

import asyncpg
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.conf.apps import MigrationModule
from piccolo.engine import engine_finder

from platform_db.values.arguments import Check, UsageError
from platform_db.values.durations import InvalidDuration, checked

# Taken inside each migration's transaction (pg_advisory_xact_lock): what
# makes "applied once" true even when a deploy's session lock has vanished.
APPLY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"platform-data migration apply").digest()[:8], "big", signed=True
)

# Statements of the project's own bookkeeping (locks, the migration record,
# catalog look-ups of the online steps) start with this comment, so that the
# SQL capture can leave them out of a migration's script.
BOOKKEEPING = "/* platform-data bookkeeping */ "
CLAIM_SQL = BOOKKEEPING + "SELECT pg_advisory_xact_lock($1)"
CLAIM_SESSION_SQL = BOOKKEEPING + "SELECT pg_advisory_lock($1)"
RECORDED_SQL = (
    BOOKKEEPING + "SELECT EXISTS (SELECT 1 FROM migration WHERE app_name = $1 AND name = $2)"
)
RECORD_SQL = BOOKKEEPING + "INSERT INTO migration (name, app_name, ran_on) VALUES ($1, $2, $3)"
UNRECORD_SQL = BOOKKEEPING + "DELETE FROM migration WHERE app_name = $1 AND name = $2"

ENVIRONMENT = {
    "lock_timeout": "PLATFORM_LOCK_TIMEOUT",
    "statement_timeout": "PLATFORM_STATEMENT_TIMEOUT",
    "attempts": "PLATFORM_LOCK_ATTEMPTS",
}

# The bounds a setting may take, in milliseconds: zero, which PostgreSQL
# reads as "wait forever", is refused.
LIMITS_MS = {"lock_timeout": (1, 3_600_000), "statement_timeout": (1, 7 * 86_400_000)}

T = TypeVar("T")


class MigrationError(Exception):
    """A migration could not run; the message says what stays applied."""


@dataclass(frozen=True)
class Timeouts:
    """How long a migration statement may wait for a lock and run."""

    lock_timeout: str = "5s"
    # A statement holding an ACCESS EXCLUSIVE lock longer than this is an
    # outage; an index built CONCURRENTLY on a very big table may need more.
    statement_timeout: str = "30min"
    attempts: int = 4
    first_pause: float = 1.0  # seconds before the second attempt; doubles

    @classmethod
    def from_environment(cls, **given) -> Timeouts:
        """Defaults, overridden by the environment, overridden by ``given``
        (a command's options, named ``--<option>`` in a refusal; ``None``
        means "not given"). ``InvalidDuration`` for a value that cannot be
        used, before anything runs."""
        values = {}
        for name, variable in ENVIRONMENT.items():
            for label, text in (
                (variable, os.environ.get(variable)),
                (f"--{name}", given.get(name)),
            ):
                if text not in (None, ""):
                    values[name] = setting_value(name, label, str(text))
        return replace(cls(), **values)

    def settings_sql(self, local: bool) -> str:
        scope = "SET LOCAL" if local else "SET"
        return (
            f"{scope} lock_timeout = '{self.lock_timeout}';\n"
            f"{scope} statement_timeout = '{self.statement_timeout}'"
        )


def setting_value(name: str, label: str, text: str):
    """``text`` as the value of the timeout or attempts setting ``name``
    (``InvalidDuration`` naming ``label`` if it cannot be used)."""
    if name == "attempts":
        if not text.strip().isdigit() or not 1 <= int(text) <= 20:
            raise InvalidDuration(f"{label} must be a whole number from 1 to 20, not {text!r}")
        return int(text)
    return checked(label, text, *LIMITS_MS[name])


class LockTimeout(MigrationError):
    pass


class MigrationFailed(MigrationError):
    def __init__(self, file: MigrationFile, cause: Exception, transactional: bool, backwards: bool):
        what = " ".join(str(cause).split()) or type(cause).__name__
        if transactional and backwards:
            stays = (
                "its reversal was rolled back, with every other reversal of the same "
                "transaction: they all stay applied"
            )
        elif transactional:
            stays = "it was rolled back and is not recorded"
        else:
            stays = (
                "it ran outside a transaction: the statements before the failing one stay, "
                "and it is not recorded (running it again starts by dropping an INVALID "
                "index that a failed concurrent build left)"
            )
        super().__init__(f"{file.label} failed: {type(cause).__name__}: {what}; {stays}")


async def with_lock_retries(
    attempt: Callable[[], Awaitable[T]], timeouts: Timeouts, what: str
) -> T:
    """``attempt()``, again after a pause each time it gives up on a lock."""
    pause = timeouts.first_pause
    for number in range(1, timeouts.attempts + 1):
        try:
            return await attempt()
        except asyncpg.LockNotAvailableError as exc:
            if number == timeouts.attempts:
                raise LockTimeout(
                    f"{what} waited more than lock_timeout={timeouts.lock_timeout} for a lock "
                    f"held by another session, {number} time(s) ({exc}); nothing of it was "
                    "applied. Retry when the long-running transaction has finished, or raise "
                    "--lock_timeout"
                ) from None
            wait = pause * random.uniform(0.8, 1.2)
            print(
                f"{what}: another session holds a lock it needs (lock_timeout="
                f"{timeouts.lock_timeout}); attempt {number} of {timeouts.attempts}, "
                f"retrying in {wait:.1f}s",
                file=sys.stderr,
            )
            await asyncio.sleep(wait)
            pause *= 2
    raise AssertionError("unreachable")


# The timeouts of the migration running now, for statements that run outside
# a transaction on connections of their own (platform_db.migrations.steps).
_outside_transaction: contextvars.ContextVar[Timeouts | None] = contextvars.ContextVar(
    "platform_migration_timeouts", default=None
)


@contextmanager
def outside_transaction(timeouts: Timeouts) -> Iterator[None]:
    token = _outside_transaction.set(timeouts)
    try:
        yield
    finally:
        _outside_transaction.reset(token)


def statement_timeouts() -> Timeouts | None:
    """The running migration's timeouts, for a statement outside a transaction."""
    return _outside_transaction.get()


@dataclass(frozen=True)
class MigrationFile:
    app: str
    migration_id: str
    module: MigrationModule

    @property
    def label(self) -> str:
        return f"{self.app} {self.migration_id}"

    @property
    def description(self) -> str:
        return getattr(self.module, "DESCRIPTION", "")

    async def manager(self) -> MigrationManager | None:
        """A fresh manager (``forwards()`` builds one per call); None for a
        migration module that does its work in ``forwards()`` itself."""
        response = await self.module.forwards()
        return response if isinstance(response, MigrationManager) else None


def app_names() -> list[str]:
    """Every app in the order ``forwards all`` migrates them."""
    return BaseMigrationManager().get_sorted_app_names()


def app_argument(*also: str):
    """The ``Check`` of a command's app argument: one of ``app_names()``,
    or one of ``also`` (e.g. ``all``)."""

    def rule(label: str, app: str) -> str:
        if app not in also and app not in app_names():
            choices = ", ".join(app_names()) + "".join(f", or {extra}" for extra in also)
            raise UsageError(f"unknown app {app!r}; apps: {choices}")
        return app

    return Check(rule)


def migration_files(app: str) -> list[MigrationFile]:
    """The app's migration files, oldest first."""
    base = BaseMigrationManager()
    config = base.get_app_config(app)
    modules = base.get_migration_modules(config.resolved_migrations_folder_path)
    return [MigrationFile(app, mid, modules[mid]) for mid in sorted(modules)]


def all_migration_files() -> list[MigrationFile]:
    return [file for app in app_names() for file in migration_files(app)]


async def session_connection():
    """A new connection that is a session of its own, for what must stay on
    one server session: advisory locks, ``SET`` settings, statements that
    commit one by one (``CREATE INDEX CONCURRENTLY``). The one place that
    makes them, so that it can point at a direct (not pooled) address; it
    goes through the engine, whose connections the SQL capture records."""
    return await engine_finder().get_new_connection()


async def ensure_migration_table() -> None:
    await BaseMigrationManager().create_migration_table()


@dataclass(frozen=True)
class Applied:
    """A row of Piccolo's ``migration`` table; ``serial`` is its ``id``,
    which grows in the order migrations were applied."""

    app: str
    migration_id: str
    serial: int


async def applied_migrations() -> list[Applied]:
    """Every recorded migration, in the order they were applied."""
    from piccolo.apps.migrations.tables import Migration

    if not await Migration.table_exists().run():
        return []
    rows = await Migration.select(Migration.id, Migration.app_name, Migration.name).order_by(
        Migration.id
    )
    return [Applied(r["app_name"], r["name"], r["id"]) for r in rows]


async def apply(file: MigrationFile, timeouts: Timeouts, backwards: bool = False) -> bool:
    """Run ``file`` forwards (or backwards) and record it (or remove its
    record). False, doing nothing, when another process got there first."""
    manager = await file.manager()
    if manager is not None and not manager.wrap_in_transaction:
        # Its statements retry on their own (platform_db.migrations.steps): a
        # retry of the whole would repeat the ones that already committed.
        return await _outside_a_transaction(file, manager, timeouts, backwards)

    async def attempt() -> bool:
        manager = await file.manager()
        engine = engine_finder()
        async with engine.transaction() as transaction:
            connection = transaction.connection
            await connection.execute(timeouts.settings_sql(local=True))
            await connection.execute(CLAIM_SQL, APPLY_LOCK_KEY)
            if await _recorded(connection, file) != backwards:
                return False
            if manager is not None:
                await _run(file, manager, backwards, transactional=True)
            await _record(connection, file, backwards)
            return True

    return await with_lock_retries(attempt, timeouts, file.label)


async def _run(
    file: MigrationFile, manager: MigrationManager, backwards: bool, transactional: bool
):
    try:
        await manager.run(backwards=backwards)
    except (MigrationError, asyncpg.LockNotAvailableError):
        raise
    except Exception as exc:
        raise MigrationFailed(file, exc, transactional, backwards) from exc


async def apply_together(files: list[MigrationFile], timeouts: Timeouts, backwards: bool) -> None:
    """Run several transactional migrations in one transaction: all of them
    happen, or none (a rollback that cannot half-happen)."""

    async def attempt() -> None:
        engine = engine_finder()
        async with engine.transaction() as transaction:
            connection = transaction.connection
            await connection.execute(timeouts.settings_sql(local=True))
            await connection.execute(CLAIM_SQL, APPLY_LOCK_KEY)
            for file in files:
                if await _recorded(connection, file) != backwards:
                    raise MigrationError(
                        f"{file.label} was "
                        + ("reversed" if backwards else "applied")
                        + " by another process meanwhile; nothing was changed"
                    )
                manager = await file.manager()
                if manager is not None:
                    await _run(file, manager, backwards, transactional=True)
                await _record(connection, file, backwards)

    what = ", ".join(f.label for f in files)
    await with_lock_retries(attempt, timeouts, what)


async def _outside_a_transaction(
    file: MigrationFile, manager: MigrationManager, timeouts: Timeouts, backwards: bool
) -> bool:
    connection = await session_connection()
    try:
        # A session lock for the length of the migration (its statements
        # commit one by one, so no transaction can hold it).
        await connection.execute(CLAIM_SESSION_SQL, APPLY_LOCK_KEY)
        if await _recorded(connection, file) != backwards:
            return False
        with outside_transaction(timeouts):
            await _run(file, manager, backwards, transactional=False)
        await _record(connection, file, backwards)
        return True
    finally:
        await connection.close()


async def _recorded(connection, file: MigrationFile) -> bool:
    return await connection.fetchval(RECORDED_SQL, file.app, file.migration_id)


async def _record(connection, file: MigrationFile, backwards: bool) -> None:
    if backwards:
        await connection.execute(UNRECORD_SQL, file.app, file.migration_id)
    else:
        # ran_on as Piccolo writes it (host-local), so that Piccolo's own
        # commands, which order by it, see one clock.
        await connection.execute(RECORD_SQL, file.migration_id, file.app, datetime.now())
