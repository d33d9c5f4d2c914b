"""Raw SQL steps for migrations, each carrying its reverse.

Piccolo runs a migration's ``add_raw`` functions before its other
operations (PICCOLO_NOTES.md), so a raw step that needs a table created by
``add_table`` goes into a later migration of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from platform_db.migration_runner import Timeouts, statement_timeouts, with_lock_retries


@dataclass(frozen=True)
class SqlStep:
    forwards: str
    backwards: str


async def execute(sql: str) -> None:
    """Run ``sql`` (several statements allowed) in the migration's
    transaction; in a migration without one, on a connection of its own with
    the migration's timeouts, tried again when it gave up on a lock."""
    engine = engine_finder()
    transaction = engine.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    timeouts = statement_timeouts() or Timeouts.from_environment()

    async def attempt() -> None:
        connection = await engine.get_new_connection()
        try:
            await connection.execute(timeouts.settings_sql(local=False))
            await connection.execute(sql)
        finally:
            await connection.close()

    await with_lock_retries(attempt, timeouts, _first_line(sql))


def _first_line(sql: str) -> str:
    return next((line.strip() for line in sql.splitlines() if line.strip()), "")[:80]


def add_sql_steps(manager: MigrationManager, *steps: SqlStep) -> None:
    """Forwards runs the steps in order; backwards undoes them in reverse."""
    for step in steps:
        manager.add_raw(_runner(step.forwards))
    for step in reversed(steps):
        manager.add_raw_backwards(_runner(step.backwards))


def _runner(sql: str):
    async def run() -> None:
        await execute(sql)

    return run


def search_path_step(functions: list[str], search_path: str, previous: str) -> SqlStep:
    """Set the ``search_path`` that ``functions`` (signatures such as
    ``public.f(integer)``) run with; backwards restores ``previous``."""

    def alter(path: str) -> str:
        return "\n".join(f"ALTER FUNCTION {f} SET search_path = {path};" for f in functions)

    return SqlStep(forwards=alter(search_path), backwards=alter(previous))
