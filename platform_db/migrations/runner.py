"""How the project runs one migration, on every path: ``piccolo platform
migrate``, ``piccolo platform rollback``, the SQL capture of ``lint`` and
``sql``, and Piccolo's own ``piccolo migrations forwards / backwards``
(through ``platform_db.migrations.hooks``).

- Every statement of a migration runs with ``lock_timeout`` and
  ``statement_timeout``: a migration that needs a table another session
  holds gives up after the lock timeout instead of queueing every query of
  the application behind its lock request, and is retried with growing,
  jittered pauses (the transaction rolled back, so a retry starts clean).
  The lock timeout is short (``Timeouts``), since every writer of the table
  waits behind a waiting ``ALTER``; a statement whose lock writers do not
  queue behind (``CREATE INDEX CONCURRENTLY``, ``VALIDATE CONSTRAINT``, ...)
  gets a long one of its own (``concurrent_lock_timeout``).
- A migration in a transaction (the default) and its row in Piccolo's
  ``migration`` table commit together; the transaction first takes a
  transaction-level advisory lock and checks the row again, so two processes
  can never both apply (or both reverse) the same migration, whatever
  happened to any session-level lock.
- A migration with ``wrap_in_transaction=False`` (``CREATE INDEX
  CONCURRENTLY``) runs each statement on its own, with the same settings,
  under a session advisory lock held on a direct connection of its own
  (``platform_db.migrations.sessions``), kept alive however long it runs,
  and is recorded once it has finished; a failure names the statements that
  had committed (``platform_db.migrations.ledger``).

Settings come from the environment (``PLATFORM_LOCK_TIMEOUT``,
``PLATFORM_STATEMENT_TIMEOUT``, ``PLATFORM_CONCURRENT_LOCK_TIMEOUT``,
``PLATFORM_LOCK_ATTEMPTS``) or the command's options; never from the
engine's shared configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from platform_db.migrations.ledger import Ledger, keeping
from platform_db.migrations.sessions import (
    BOOKKEEPING,
    CONNECTION_LOST,
    SessionLock,
    session_connection,
)
from platform_db.values.arguments import Check, UsageError
from platform_db.values.durations import InvalidDuration, checked, milliseconds

# Taken inside each migration's transaction (pg_advisory_xact_lock), and for
# the whole of a migration outside a transaction (pg_advisory_lock): what
# makes "applied once" true even when a deploy's session lock has vanished.
APPLY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"platform-data migration apply").digest()[:8], "big", signed=True
)
APPLY_LOCK_NAME = "platform-data migration (apply lock)"

CLAIM_SQL = BOOKKEEPING + "SELECT pg_advisory_xact_lock($1)"
RECORDED_SQL = (
    BOOKKEEPING + "SELECT EXISTS (SELECT 1 FROM migration WHERE app_name = $1 AND name = $2)"
)
RECORD_SQL = BOOKKEEPING + "INSERT INTO migration (name, app_name, ran_on) VALUES ($1, $2, $3)"
UNRECORD_SQL = BOOKKEEPING + "DELETE FROM migration WHERE app_name = $1 AND name = $2"

ENVIRONMENT = {
    "lock_timeout": "PLATFORM_LOCK_TIMEOUT",
    "statement_timeout": "PLATFORM_STATEMENT_TIMEOUT",
    "concurrent_lock_timeout": "PLATFORM_CONCURRENT_LOCK_TIMEOUT",
    "attempts": "PLATFORM_LOCK_ATTEMPTS",
}

# The bounds a setting may take, in milliseconds: zero, which PostgreSQL
# reads as "wait forever", is refused.
LIMITS_MS = {
    "lock_timeout": (1, 3_600_000),
    "statement_timeout": (1, 7 * 86_400_000),
    "concurrent_lock_timeout": (1, 7 * 86_400_000),
}

T = TypeVar("T")


class MigrationError(Exception):
    """A migration could not run; the message says what stays applied."""


@dataclass(frozen=True)
class Timeouts:
    """How long a migration statement may wait for a lock and run, and how
    often it is tried again after giving up on a lock."""

    # Every writer of a table queues behind an ALTER waiting for its lock, so
    # this is how long they may stall: short, and retried (docs/performance.md
    # has the measurements behind it).
    lock_timeout: str = "100ms"
    # A statement holding an ACCESS EXCLUSIVE lock longer than this is an
    # outage; an index built CONCURRENTLY on a very big table may need more.
    statement_timeout: str = "30min"
    # For the statements writers do not queue behind (CREATE / DROP INDEX
    # CONCURRENTLY, VALIDATE CONSTRAINT, ...): they wait for every older
    # transaction of the database, which a short lock timeout would never see
    # through.
    concurrent_lock_timeout: str = "10min"
    attempts: int = 10
    first_pause: float = 0.2  # seconds before the second attempt; doubles...
    max_pause: float = 10.0  # ...up to this; each one jittered by +-50%

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

    def lock_budget(self, concurrent: bool = False) -> str:
        return self.concurrent_lock_timeout if concurrent else self.lock_timeout

    def settings_sql(self, local: bool, concurrent: bool = False) -> str:
        scope = "SET LOCAL" if local else "SET"
        return (
            f"{scope} lock_timeout = '{self.lock_budget(concurrent)}';\n"
            f"{scope} statement_timeout = '{self.statement_timeout}'"
        )

    def pause(self, attempt: int) -> float:
        """Seconds to wait after attempt number ``attempt`` gave up."""
        base = min(self.max_pause, self.first_pause * 2 ** (attempt - 1))
        return base * random.uniform(0.5, 1.5)

    @property
    def statement_seconds(self) -> float:
        return milliseconds(self.statement_timeout) / 1000


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
    def __init__(
        self,
        file: MigrationFile,
        cause: Exception,
        transactional: bool,
        backwards: bool,
        ledger: Ledger | None = None,
    ):
        what = " ".join(str(cause).split()) or type(cause).__name__
        if transactional and backwards:
            stays = (
                "its reversal was rolled back, with every other reversal of the same "
                "transaction: they all stay applied"
            )
        elif transactional:
            stays = "it was rolled back and is not recorded"
        else:
            done = ledger.summary() if ledger is not None else "its earlier statements stay"
            record = "it stays recorded as applied" if backwards else "it is not recorded"
            stays = f"it ran outside a transaction: {done}; {record}"
        super().__init__(f"{file.label} failed: {type(cause).__name__}: {what}; {stays}")


async def with_lock_retries(
    attempt: Callable[[], Awaitable[T]], timeouts: Timeouts, what: str, concurrent: bool = False
) -> T:
    """``attempt()``, again after a pause each time it gives up on a lock
    (``concurrent``: it ran under ``concurrent_lock_timeout``)."""
    budget = ("concurrent_lock_timeout=" if concurrent else "lock_timeout=") + (
        timeouts.lock_budget(concurrent)
    )
    for number in range(1, timeouts.attempts + 1):
        try:
            return await attempt()
        except asyncpg.LockNotAvailableError as exc:
            if number == timeouts.attempts:
                raise LockTimeout(
                    f"{what} waited more than {budget} for a lock held by another session, "
                    f"{number} time(s) ({exc}); nothing of it was applied. Retry when the "
                    f"long-running transaction has finished, or raise --{budget.split('=')[0]}"
                ) from None
            wait = timeouts.pause(number)
            print(
                f"{what}: another session holds a lock it needs ({budget}); attempt {number} "
                f"of {timeouts.attempts}, retrying in {wait:.1f}s",
                file=sys.stderr,
            )
            await asyncio.sleep(wait)
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

    @property
    def lint_acknowledged(self) -> dict:
        """The migration's ``LINT_ACKNOWLEDGED``: Squawk rule -> why it is
        safe here (``platform_db.migrations.lint``); empty when it is not a
        dict (the lint says so: ``acknowledgement_problems``)."""
        declared = getattr(self.module, "LINT_ACKNOWLEDGED", None)
        return dict(declared) if isinstance(declared, dict) else {}

    async def manager(self) -> MigrationManager | None:
        """A fresh manager (``forwards()`` builds one per call); None for a
        migration module that does its work in ``forwards()`` itself."""
        response = await self.module.forwards()
        return response if isinstance(response, MigrationManager) else None

    async def transactional(self) -> bool:
        manager = await self.manager()
        return manager is None or manager.wrap_in_transaction


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

    with _connection_loss_explained(file.label):
        return await with_lock_retries(attempt, timeouts, file.label)


@contextmanager
def _connection_loss_explained(what: str) -> Iterator[None]:
    """A connection lost around a migration's transaction, said as what it
    means (asyncpg says only that the connection is closed)."""
    try:
        yield
    except CONNECTION_LOST as exc:
        raise MigrationError(
            f"{what}: the connection to the database was lost ({type(exc).__name__}: {exc}); "
            "a migration and its record commit in one transaction, so either both happened "
            "or neither did: `piccolo migrations check` shows which"
        ) from exc


async def _run(
    file: MigrationFile,
    manager: MigrationManager,
    backwards: bool,
    transactional: bool,
    ledger: Ledger | None = None,
):
    try:
        await manager.run(backwards=backwards)
    except (MigrationError, asyncpg.LockNotAvailableError):
        if transactional:
            raise  # rolled back whole: the caller retries it, or says it stays
        await asyncio.sleep(0)  # query loggers are called soon after, not at once
        raise MigrationFailed(file, sys.exc_info()[1], transactional, backwards, ledger) from None
    except Exception as exc:
        await asyncio.sleep(0)  # query loggers are called soon after, not at once
        raise MigrationFailed(file, exc, transactional, backwards, ledger) from exc


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
    with _connection_loss_explained(what):
        await with_lock_retries(attempt, timeouts, what)


async def _outside_a_transaction(
    file: MigrationFile, manager: MigrationManager, timeouts: Timeouts, backwards: bool
) -> bool:
    # A session lock for the length of the migration (its statements commit
    # one by one, so no transaction can hold it), on the server itself.
    lock = SessionLock(APPLY_LOCK_KEY, APPLY_LOCK_NAME, f"{file.label} (outside a transaction)")
    if not await lock.acquire(
        timeouts.statement_seconds, f"another process is applying a migration; {file.label} waits"
    ):
        raise MigrationError(
            f"gave up waiting {timeouts.statement_timeout} (statement_timeout) for another "
            f"process's migration to finish; nothing of {file.label} was run"
        )
    try:
        async with lock.session() as connection:
            if await _recorded(connection, file) != backwards:
                return False
        ledger = Ledger()
        with outside_transaction(timeouts), keeping(ledger):
            await _run(file, manager, backwards, transactional=False, ledger=ledger)
        return await _record_outside(lock, file, timeouts, backwards)
    finally:
        await lock.release()


async def _record_outside(
    lock: SessionLock, file: MigrationFile, timeouts: Timeouts, backwards: bool
) -> bool:
    """The record of a migration that ran outside a transaction, written
    under the transaction-level lock after checking it again: on the apply
    lock's session, or, if that session ended meanwhile (killed, cut as
    idle), on a new one."""
    try:
        if await lock.held():
            async with lock.session() as connection:
                return await _record_checked(connection, file, timeouts, backwards)
        print(
            f"{file.label}: the session holding its apply lock ended while it ran; recording "
            "it under the transaction-level lock, after checking that no other process did",
            file=sys.stderr,
        )
        connection = await session_connection(f"recording {file.label}")
        try:
            return await _record_checked(connection, file, timeouts, backwards)
        finally:
            await connection.close()
    except (*CONNECTION_LOST, asyncpg.PostgresError) as exc:
        if backwards:
            state = "it stays recorded as applied, though its backwards ran in full"
        else:
            state = "it is not recorded, so the next migrate runs it again"
        raise MigrationError(
            f"{file.label} ran in full outside a transaction, but recording it failed "
            f"({type(exc).__name__}: {exc}); {state}"
        ) from exc


async def _record_checked(connection, file: MigrationFile, timeouts: Timeouts, backwards) -> bool:
    # Said as bookkeeping, BEGIN and COMMIT included: the SQL capture leaves
    # it out of the migration's script, which records the migration its own way.
    await connection.execute(BOOKKEEPING + "BEGIN")
    try:
        await connection.execute(BOOKKEEPING + timeouts.settings_sql(local=True))
        await connection.execute(CLAIM_SQL, APPLY_LOCK_KEY)
        recorded = await _recorded(connection, file) == backwards
        if recorded:
            await _record(connection, file, backwards)
    except BaseException:
        with contextlib.suppress(*CONNECTION_LOST, asyncpg.PostgresError):
            await connection.execute(BOOKKEEPING + "ROLLBACK")
        raise
    await connection.execute(BOOKKEEPING + "COMMIT")
    return recorded


async def _recorded(connection, file: MigrationFile) -> bool:
    return await connection.fetchval(RECORDED_SQL, file.app, file.migration_id)


async def _record(connection, file: MigrationFile, backwards: bool) -> None:
    if backwards:
        await connection.execute(UNRECORD_SQL, file.app, file.migration_id)
    else:
        # ran_on as Piccolo writes it (host-local), so that Piccolo's own
        # commands, which order by it, see one clock.
        await connection.execute(RECORD_SQL, file.migration_id, file.app, datetime.now())
