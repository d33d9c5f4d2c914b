"""Raw SQL steps for migrations, each carrying its reverse.

Piccolo runs a migration's ``add_raw`` functions before its other
operations (PICCOLO_NOTES.md), so a raw step that needs a table created by
``add_table`` goes into a later migration of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.constraints import Check
from piccolo.engine import engine_finder


@dataclass(frozen=True)
class SqlStep:
    forwards: str
    backwards: str


async def execute(sql: str) -> None:
    """Run ``sql`` (several statements allowed) in the migration's transaction."""
    engine = engine_finder()
    transaction = engine.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    connection = await engine.get_new_connection()
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


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


@dataclass
class LiveTableMigrationManager(MigrationManager):
    """A ``MigrationManager`` for tables that hold rows and take writes.

    Piccolo adds a CHECK with one ``ALTER TABLE ... ADD CONSTRAINT``, which
    scans every row under an ACCESS EXCLUSIVE lock. Here each CHECK of
    ``add_constraint`` is added ``NOT VALID`` (a moment's lock, no scan),
    then validated in a transaction of its own (SHARE UPDATE EXCLUSIVE: reads
    and writes go on). The migration runs outside one transaction for that
    (``wrap_in_transaction=False``): run again after a failure, it adds only
    what is missing. Piccolo's schema snapshot reads the same
    ``add_constraint`` operations as ever, so drift checks are unchanged.
    """

    wrap_in_transaction: bool = False

    async def _run_add_constraints(self, backwards: bool = False):
        if backwards:
            return await super()._run_add_constraints(backwards=True)
        for added in self.add_constraints.add_constraints:
            constraint = added.constraint
            if not isinstance(constraint, Check):
                raise TypeError(
                    f"{constraint._meta.name}: only a CHECK can be added NOT VALID and "
                    "validated afterwards"
                )
            table = f"{added.schema or 'public'}.{added.tablename}"
            name = constraint._meta.name
            if not await _constraint_exists(table, name):
                await execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {constraint.ddl} NOT VALID")
            await execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


async def _constraint_exists(table: str, name: str) -> bool:
    connection = await engine_finder().get_new_connection()
    try:
        return await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2)",
            table,
            name,
        )
    finally:
        await connection.close()
