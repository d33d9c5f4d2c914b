"""Raw SQL steps for migrations, each carrying its reverse, and how a step
runs: in the migration's transaction, or, in a migration declared
``MigrationManager(..., wrap_in_transaction=False)``, on a session of its own
with the migration's ``lock_timeout`` / ``statement_timeout``, retried when it
gave up on a lock.

Piccolo runs a migration's ``add_raw`` functions before its other
operations (PICCOLO_NOTES.md), so a raw step that needs a table created by
``add_table`` goes into a later migration of its own.
``done_by_sql_steps`` keeps a generated operation that such steps carry out
in the migration (for Piccolo's snapshot) without running it. The online
forms of DDL that would lock a busy table are in
``platform_db.migrations.online``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from platform_db.migrations.runner import (
    Timeouts,
    session_connection,
    statement_timeouts,
    with_lock_retries,
)


class OnlineDDLRefused(Exception):
    """An online step used where it cannot be online; nothing ran."""


@dataclass(frozen=True)
class SqlStep:
    forwards: str
    backwards: str

    async def run_forwards(self) -> None:
        await execute(self.forwards)

    async def run_backwards(self) -> None:
        await execute(self.backwards)


async def execute(sql: str) -> None:
    """Run ``sql`` (several statements allowed) in the migration's
    transaction; in a migration without one, on a connection of its own with
    the migration's timeouts, tried again when it gave up on a lock."""
    engine = engine_finder()
    transaction = engine.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    async with own_session() as (connection, timeouts):
        await with_lock_retries(lambda: connection.execute(sql), timeouts, first_line(sql))


async def alone(sql: str, what: str) -> None:
    """``sql`` committed on its own (refused in the migration's transaction),
    tried again when it gave up on a lock."""
    async with own_session(what) as (conn, timeouts):
        await with_lock_retries(lambda: conn.execute(sql), timeouts, what)


async def atomic(conn, sql: str) -> None:
    """``sql``'s statements in one transaction, BEGIN and COMMIT said
    aloud (so the captured script keeps them together in psql too)."""
    async with conn.transaction():
        await conn.execute(sql)


def first_line(sql: str) -> str:
    return next((line.strip() for line in sql.splitlines() if line.strip()), "")[:80]


def refuse_in_transaction(what: str) -> None:
    """``what`` must commit on its own: in the migration's transaction it
    would hold its locks to the end (or PostgreSQL refuses it there)."""
    if engine_finder().current_transaction.get() is not None:
        raise OnlineDDLRefused(
            f"{what} cannot run inside the migration's transaction; declare the migration "
            "MigrationManager(..., wrap_in_transaction=False)"
        )


@asynccontextmanager
async def own_session(alone_step: str | None = None) -> AsyncIterator:
    """A connection of its own, with the running migration's timeouts;
    ``alone_step`` names a step that must commit on its own."""
    if alone_step:
        refuse_in_transaction(alone_step)
    timeouts = statement_timeouts() or Timeouts.from_environment()
    connection = await session_connection()
    try:
        await connection.execute(timeouts.settings_sql(local=False))
        yield connection, timeouts
    finally:
        await connection.close()


def add_sql_steps(manager: MigrationManager, *steps) -> None:
    """Forwards runs the steps in order; backwards undoes them in reverse."""
    for step in steps:
        manager.add_raw(_runner(step, backwards=False))
    for step in reversed(steps):
        manager.add_raw_backwards(_runner(step, backwards=True))


def _runner(step, backwards: bool):
    async def run() -> None:
        await (step.run_backwards() if backwards else step.run_forwards())

    run.step = step  # read by the reversibility walk (tests/support/migrations.py)
    return run


def done_by_sql_steps(manager: MigrationManager, table_class_name: str, name: str) -> None:
    """Keep the generated operations on ``table_class_name``'s column or
    constraint ``name`` (``alter_column``, ``add_constraint``,
    ``drop_constraint``) in the migration, so that Piccolo's snapshot (and
    ``--auto``) sees them, without running them: the migration's SQL steps,
    which run first, did that work online. Call it after ``add_sql_steps``."""

    def skip() -> None:
        def other(op) -> bool:
            named = getattr(op, "column_name", None) or getattr(op, "constraint_name", None)
            if named is None:
                named = op.constraint._meta.name
            return not (op.table_class_name == table_class_name and named == name)

        for ops in (
            manager.alter_columns.alter_columns,
            manager.add_constraints.add_constraints,
            manager.drop_constraints.drop_constraints,
        ):
            ops[:] = [op for op in ops if other(op)]

    manager.add_raw(skip)
    manager.add_raw_backwards(skip)


def search_path_step(functions: list[str], search_path: str, previous: str) -> SqlStep:
    """Set the ``search_path`` that ``functions`` (signatures such as
    ``public.f(integer)``) run with; backwards restores ``previous``."""

    def alter(path: str) -> str:
        return "\n".join(f"ALTER FUNCTION {f} SET search_path = {path};" for f in functions)

    return SqlStep(forwards=alter(search_path), backwards=alter(previous))
