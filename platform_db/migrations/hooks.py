"""Piccolo's own ``piccolo migrations forwards / backwards`` made as safe as
the project's commands. Piccolo has no hook around a migration, so the
platform app (``platform_db/piccolo_app.py``) wraps some of its methods when
it is loaded:

- ``MigrationManager.run``: every migration runs with ``lock_timeout`` and
  ``statement_timeout`` (the runner's, when the runner runs it, e.g. with
  ``piccolo platform migrate --statement_timeout``; else from the
  environment), in a transaction retried when it gave up on a lock
  (``platform_db.migrations.runner``). A run inside a transaction the
  project already opened is left as it is: that caller set them.
- ``MigrationManager._run_query``: in a migration outside a transaction,
  each generated operation (Piccolo's own ``ALTER TABLE ...``) runs in a
  short transaction of its own with those timeouts, tried again when it gave
  up on a lock, instead of on a fresh connection with none.
- ``PostgresEngine.get_new_connection``: a connection opened while a
  migration runs outside a transaction (by a Python step of the migration)
  gets its timeouts too; by then the engine connects to the server itself
  (``platform_db.migrations.sessions``), so no pooled session keeps them.
- ``BackwardsMigrationManager.run_migrations_backwards``: goes through
  ``platform_db.migrations.rollback``, which refuses before anything changes
  while a migration of a dependent app needs the ones to reverse, or while
  the data present would stop a backwards half way; shows the plan with its
  costs, and reverses the chosen migrations together.
  ``run_backwards("all")`` stops at the first app that fails instead of going
  on with the apps it depends on.
"""

from __future__ import annotations

import os
import sys

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands import backwards as piccolo_backwards
from piccolo.apps.migrations.commands.base import MigrationResult
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.utils.printing import print_heading

from platform_db.migrations import ledger
from platform_db.migrations.runner import (
    MigrationError,
    Timeouts,
    outside_transaction,
    statement_timeouts,
    with_lock_retries,
)
from platform_db.migrations.sessions import session_connection
from platform_db.migrations.steps import first_line
from platform_db.values.arguments import CommandError

_piccolo_run = MigrationManager.run
_piccolo_run_query = MigrationManager._run_query
_piccolo_get_new_connection = PostgresEngine.get_new_connection
_piccolo_run_migrations_backwards = (
    piccolo_backwards.BackwardsMigrationManager.run_migrations_backwards
)
_piccolo_run_backwards = piccolo_backwards.run_backwards


async def run(self: MigrationManager, backwards: bool = False):
    engine = engine_finder()
    if self.preview or engine.current_transaction.get() is not None:
        return await _piccolo_run(self, backwards=backwards)
    # The runner's, when it runs this migration (its command's options).
    timeouts = statement_timeouts() or Timeouts.from_environment()
    if not self.wrap_in_transaction:
        if statement_timeouts() is None:
            # Plain `piccolo migrations forwards`: the engine moves to the
            # server itself before any statement (a pooler refused here).
            await (await session_connection("a migration outside a transaction")).close()
        with outside_transaction(timeouts):
            return await _piccolo_run(self, backwards=backwards)

    async def attempt():
        async with engine.transaction() as transaction:
            await transaction.connection.execute(timeouts.settings_sql(local=True))
            await _piccolo_run(self, backwards=backwards)

    await with_lock_retries(attempt, timeouts, f"{self.app_name} {self.migration_id}")


async def run_query(self: MigrationManager, query):
    timeouts = statement_timeouts()
    engine = engine_finder()
    if self.preview or timeouts is None or engine.current_transaction.get() is not None:
        return await _piccolo_run_query(self, query)
    sql = ";\n".join(query.ddl) if hasattr(query, "ddl") else str(query)
    if not sql.strip():
        return await _piccolo_run_query(self, query)  # an operation with nothing to send

    async def attempt():
        async with engine.transaction() as transaction:
            await transaction.connection.execute(timeouts.settings_sql(local=True))
            await _piccolo_run_query(self, query)

    await with_lock_retries(attempt, timeouts, f"{self.migration_id}: {first_line(sql)}")
    keeping = ledger.current()
    if keeping is not None:
        keeping.committed(sql)


async def get_new_connection(self: PostgresEngine):
    connection = await _piccolo_get_new_connection(self)
    timeouts = statement_timeouts()
    if timeouts is not None:
        await connection.execute(timeouts.settings_sql(local=False))
    return connection


async def run_migrations_backwards(self, app_config) -> MigrationResult:
    from platform_db.migrations.rollback import execute_rollback, plan_rollback

    if self.preview:
        return await _piccolo_run_migrations_backwards(self, app_config)
    try:
        timeouts = Timeouts.from_environment()
        plan = await plan_rollback(self.app_name, self.migration_id, timeouts)
        if not plan.files:
            print("🏁 No migrations to reverse!")
            return MigrationResult(success=True, message="No migrations to reverse")
        refusal = plan.refusal()
        if refusal:
            print(refusal, file=sys.stderr)
            return MigrationResult(success=False, message=refusal)
        print(plan.describe())
        n = len(plan.files)
        if not self.auto_agree and input(f"Reverse {n} migration(s)? [y/N] ").lower() != "y":
            print("Not proceeding.", file=sys.stderr)
            return MigrationResult(success=False, message="Not proceeding.")
        await execute_rollback(plan, timeouts)
    except (MigrationError, CommandError) as exc:
        print(exc, file=sys.stderr)
        return MigrationResult(success=False, message=str(exc))
    if self.clean:
        for file in plan.files:
            os.unlink(file.module.__file__)
    print(f"reversed {n} migration(s) of {self.app_name} ✔️")
    return MigrationResult(success=True)


async def run_backwards(
    app_name: str,
    migration_id: str = "1",
    auto_agree: bool = False,
    clean: bool = False,
    preview: bool = False,
) -> MigrationResult:
    if app_name != "all" or preview:
        return await _piccolo_run_backwards(app_name, migration_id, auto_agree, clean, preview)
    from platform_db.migrations.runner import app_names

    names = list(reversed(app_names()))
    if not auto_agree:
        answer = input(
            f"You are about to undo the migrations for the following apps:\n"
            f"{', '.join(repr(n) for n in names)}\nAre you sure you want to continue? [y/N] "
        )
        if answer.lower() != "y":
            return MigrationResult(success=False, message="user cancelled")
    for name in names:
        print_heading(name)
        result = await piccolo_backwards.BackwardsMigrationManager(
            app_name=name, migration_id="all", auto_agree=auto_agree
        ).run()
        if not result.success:
            return result
    return MigrationResult(success=True)


def install() -> None:
    """Idempotent: the platform app may be loaded more than once."""
    MigrationManager.run = run
    MigrationManager._run_query = run_query
    PostgresEngine.get_new_connection = get_new_connection
    piccolo_backwards.BackwardsMigrationManager.run_migrations_backwards = run_migrations_backwards
    piccolo_backwards.run_backwards = run_backwards
