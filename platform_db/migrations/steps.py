"""Raw SQL steps for migrations, each carrying its reverse, and how a step
runs: in the migration's transaction, or, in a migration declared
``MigrationManager(..., wrap_in_transaction=False)``, on a session of its own
(on the server itself, never through a pooler) with the migration's
``lock_timeout`` / ``statement_timeout``, retried when it gave up on a lock.
A statement writers do not queue behind (``CREATE INDEX CONCURRENTLY``,
``VALIDATE CONSTRAINT``, ...) runs under ``concurrent_lock_timeout``
instead; a concurrent index build, whatever SQL it is written in, first
drops the INVALID index a failed build of the same name left, and drops the
one it leaves itself when it fails.

Piccolo runs a migration's ``add_raw`` functions before its other
operations (PICCOLO_NOTES.md), so a raw step that needs a table created by
``add_table`` goes into a later migration of its own.
``platform_db.migrations.state.state_only`` keeps a generated operation that
such steps carry out in the migration (for Piccolo's snapshot) without
running it. The online
forms of DDL that would lock a busy table are in
``platform_db.migrations.online``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from platform_db.migrations import ledger
from platform_db.migrations.runner import (
    BOOKKEEPING,
    Timeouts,
    statement_timeouts,
    with_lock_retries,
)
from platform_db.migrations.sessions import session_connection


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
    async with own_session(statement=sql) as (connection, timeouts):
        await _run_alone(connection, sql, timeouts, first_line(sql))


async def alone(sql: str, what: str) -> None:
    """``sql`` committed on its own (refused in the migration's transaction),
    tried again when it gave up on a lock."""
    async with own_session(what, statement=sql) as (conn, timeouts):
        await _run_alone(conn, sql, timeouts, what)


async def _run_alone(connection, sql: str, timeouts: Timeouts, what: str) -> None:
    build = concurrent_build(sql)

    async def attempt() -> None:
        if build is None:
            return await connection.execute(sql)
        await drop_if_invalid(connection, *build)
        try:
            await connection.execute(sql)
        except asyncpg.PostgresError:
            await drop_if_invalid(connection, *build)
            raise

    await with_lock_retries(attempt, timeouts, what, concurrent=waits_without_blocking(sql))


# Statements whose lock writers do not queue behind, told by their first
# words: a step's name (``CREATE INDEX CONCURRENTLY clients_email``) as well
# as its SQL.
_NOT_BLOCKING_WORDS = re.compile(
    r"(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX|REINDEX\s+\w+)\s+CONCURRENTLY\b"
    r"|VALIDATE\s+CONSTRAINT\b",
    re.IGNORECASE,
)


# pglast (~0.05 s) is imported when a step's SQL is read, not by every
# ``piccolo`` command: each imports every migration (Piccolo counts the
# unapplied ones), and so this module (a test in tests/platform/test_layers.py).
def _statements(sql: str) -> list | None:
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        return [raw.stmt for raw in parse_sql(sql)]
    except ParseError:
        return None


def waits_without_blocking(text: str) -> bool:
    """Whether ``text`` (one statement, or a step's name) takes only locks
    that writers do not queue behind, so that it may wait long for them:
    ``CREATE / DROP INDEX CONCURRENTLY``, ``REINDEX ... CONCURRENTLY``,
    ``VALIDATE CONSTRAINT``, ``DETACH PARTITION ... CONCURRENTLY``."""
    from pglast import ast
    from pglast.enums import AlterTableType

    statements = _statements(text)
    if statements is None:
        return bool(_NOT_BLOCKING_WORDS.match(text.strip()))
    if len(statements) != 1:
        return False
    statement = statements[0]
    if isinstance(statement, ast.IndexStmt | ast.DropStmt):
        return bool(statement.concurrent)
    if isinstance(statement, ast.ReindexStmt):
        return any(p.defname == "concurrently" for p in statement.params or ())
    if isinstance(statement, ast.AlterTableStmt):
        return all(
            c.subtype in (AlterTableType.AT_ValidateConstraint, AlterTableType.AT_DetachPartition)
            and (c.subtype != AlterTableType.AT_DetachPartition or c.def_.concurrent)
            for c in statement.cmds
        )
    return False


def concurrent_build(sql: str) -> tuple[str, str] | None:
    """(table, index name) of a ``CREATE INDEX CONCURRENTLY`` statement."""
    from pglast import ast

    statements = _statements(sql)
    if not statements or len(statements) != 1:
        return None
    statement = statements[0]
    if not isinstance(statement, ast.IndexStmt) or not statement.concurrent:
        return None
    if not statement.idxname:
        return None  # a name PostgreSQL chooses: no INVALID leftover to find by name
    relation = statement.relation
    table = ".".join(_quoted(p) for p in (relation.schemaname, relation.relname) if p)
    return table, statement.idxname


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def drop_if_invalid(connection, table: str, index: str) -> bool:
    """Drop ``index`` of ``table`` if a failed concurrent build left it
    INVALID (``CREATE INDEX CONCURRENTLY`` refuses to build it again)."""
    qualified = await connection.fetchval(
        BOOKKEEPING + "SELECT format('%I.%I', n.nspname, i.relname)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_namespace n ON n.oid = i.relnamespace"
        " WHERE x.indrelid = to_regclass($1) AND i.relname = $2 AND NOT x.indisvalid",
        table,
        index,
    )
    if qualified is None:
        return False
    await connection.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified}")
    return True


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
async def own_session(alone_step: str | None = None, statement: str | None = None) -> AsyncIterator:
    """A connection of its own, to the server itself, with the running
    migration's timeouts; ``alone_step`` names a step that must commit on
    its own. Its lock budget is ``concurrent_lock_timeout`` when the step
    (or ``statement``, the SQL it runs) waits without blocking writers."""
    if alone_step:
        refuse_in_transaction(alone_step)
    timeouts = statement_timeouts() or Timeouts.from_environment()
    concurrent = waits_without_blocking(statement or alone_step or "")
    connection = await session_connection("a migration that runs outside a transaction")
    keeping = ledger.current()
    if keeping is not None:
        connection.add_query_logger(keeping.listener())
    try:
        await connection.execute(timeouts.settings_sql(local=False, concurrent=concurrent))
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
    which run first, did that work online. Landed migrations use it; a new
    one calls ``platform_db.migrations.state.state_only``, which covers
    every kind of generated operation."""
    from platform_db.migrations.state import skip_when_run

    kinds = ("alter_column", "add_constraint", "drop_constraint")

    def chosen(kind: str, op) -> bool:
        named = getattr(op, "column_name", None) or getattr(op, "constraint_name", None)
        if named is None:
            named = op.constraint._meta.name
        return op.table_class_name == table_class_name and named == name

    skip_when_run(manager, chosen, kinds)


def search_path_step(functions: list[str], search_path: str, previous: str) -> SqlStep:
    """Set the ``search_path`` that ``functions`` (signatures such as
    ``public.f(integer)``) run with; backwards restores ``previous``."""

    def alter(path: str) -> str:
        return "\n".join(f"ALTER FUNCTION {f} SET search_path = {path};" for f in functions)

    return SqlStep(forwards=alter(search_path), backwards=alter(previous))
