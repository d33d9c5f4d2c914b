"""The SQL each migration really executes, raw steps included: the
migrations are run, through the project's own runner, on a scratch database
(``platform_db.database.scratch``, never the configured one) whose engine records
every statement its connections send. ``--preview`` cannot do this: it
leaves out every raw step.

Each migration's statements become a script ``psql`` can apply, as
``piccolo platform migrate`` runs it: in a transaction with its timeouts,
recorded in Piccolo's ``migration`` table (a migration declared
``wrap_in_transaction=False`` runs statement by statement).

A scratch database holds no rows, so what a migration runs there is what it
runs anywhere only when its SQL does not depend on the rows: Piccolo's
generated operations and the steps of ``SAME_SQL_FOR_ANY_ROWS``. Any other
migration (a raw step in Python, a ``DATA_ONLY`` data migration, a
``ChangeColumnType`` backfilling in batches until no row is left) runs only
through ``piccolo platform migrate``: ``migrate_only`` says why, and no
script is printed for it (a script of its empty-database run would record it
as applied having done a part of its work, or none).

What each migration ran is kept (``platform_db.migrations.cache``) by the
fingerprint of the files that decide it; a replay runs the kept statements
of a migration directly, as psql would, and only the others through the
runner.

Piccolo runs the operations of one kind on several tables in the order of a
``set`` of the tables' class names, which changes from one process to the
next; the capture runs them in the order the migration lists them
(``in_file_order``), an order ``migrate`` may run them in too, so that the
script printed is the same every time.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

import asyncpg
from piccolo.apps.migrations.auto import migration_manager as piccolo_manager
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from platform_db.database.engine import LazyEngine
from platform_db.database.scratch import piccolo_on, piccolo_using, scratch_database
from platform_db.migrations import cache, steps
from platform_db.migrations.fingerprints import migration_chain
from platform_db.migrations.generated import AlterColumnType, OnlineUnique
from platform_db.migrations.online import (
    ConcurrentIndex,
    LiveTableMigrationManager,
    NotValidConstraint,
    SetNotNull,
    UniqueUsingIndex,
    ValidateConstraint,
)
from platform_db.migrations.runner import (
    BOOKKEEPING,
    RECORD_SQL,
    UNRECORD_SQL,
    MigrationFile,
    Timeouts,
    all_migration_files,
    apply,
    ensure_migration_table,
)

# Steps whose SQL is the same whatever rows the tables hold: what they run on
# the scratch database is what they run anywhere. (Their look-ups of the
# catalog are bookkeeping, left out of the script.) A new helper is added
# here once its SQL is known to be so; until then its migrations run only
# through `piccolo platform migrate`.
SAME_SQL_FOR_ANY_ROWS = (
    steps.SqlStep,
    ConcurrentIndex,
    UniqueUsingIndex,
    NotValidConstraint,
    ValidateConstraint,
    SetNotNull,
    OnlineUnique,
    AlterColumnType,
)
# Managers whose own operations are Piccolo's generated SQL.
PLAIN_MANAGERS = (MigrationManager, LiveTableMigrationManager)

MIGRATE_ONLY = "runs only through `piccolo platform migrate`"
ROLLBACK_ONLY = "is reversed only through `piccolo platform rollback`"


def only_through(backwards: bool) -> str:
    return ROLLBACK_ONLY if backwards else MIGRATE_ONLY


class RecordingEngine(PostgresEngine):
    """A ``PostgresEngine`` whose every connection reports what it runs."""

    def __init__(self, *args, **kwargs):
        self.statements: list = []
        super().__init__(*args, **kwargs)

    async def get_new_connection(self):
        connection = await super().get_new_connection()
        await self.attach(connection)
        return connection

    async def attach(self, connection) -> None:
        connection.add_query_logger(self._log)

    def _log(self, record) -> None:
        if record.exception is None:
            self.statements.append((record.query, record.args))


@dataclass
class CapturedMigration:
    file: MigrationFile
    backwards: bool
    transactional: bool
    statements: list[str] = field(default_factory=list)
    # Why what it ran on the scratch database is less than what it does on a
    # database with rows (empty: the statements are the whole of it).
    migrate_only: list[str] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return "backwards" if self.backwards else "forwards"

    def script(self) -> str:
        """The migration as a script for ``psql -v ON_ERROR_STOP=1 -f``."""
        file = self.file
        header = [
            f"-- {file.app} {file.migration_id} {file.description} ({self.direction})",
            f"-- {file.module.__name__}.py, as `piccolo platform migrate` runs it"
            + ("" if self.transactional else ": outside a transaction, statement by statement"),
        ]
        for rule, reason in file.lint_acknowledged.items():
            header.append(f"-- lint acknowledged {rule}: {' '.join(str(reason).split())}")
        if self.backwards:
            record = (
                f"DELETE FROM migration WHERE app_name = {_literal(file.app)}"
                f" AND name = {_literal(file.migration_id)};"
            )
        else:
            record = (
                "INSERT INTO migration (name, app_name, ran_on) VALUES "
                f"({_literal(file.migration_id)}, {_literal(file.app)}, LOCALTIMESTAMP);"
            )
        body = [_terminated(s) for s in self.statements]
        if self.transactional:
            # BEGIN / COMMIT were captured with the rest; the record goes
            # in before COMMIT, as the runner writes it.
            body.insert(len(body) - 1, record)
        else:
            body.append(record)
        return "\n".join(header + body) + "\n"

    def as_kept(self) -> dict:
        return {
            "transactional": self.transactional,
            "statements": self.statements,
            "migrate_only": self.migrate_only,
        }


def migration_table_sql() -> str:
    """Piccolo's ``migration`` table, created when missing (as every
    migration command of Piccolo's does first)."""
    from piccolo.apps.migrations.tables import Migration

    return "\n".join(_terminated(s) for s in Migration.create_table(if_not_exists=True).ddl)


def _terminated(sql: str) -> str:
    sql = sql.strip()
    if sql.endswith(";"):
        return sql
    last_line = sql.splitlines()[-1]
    return sql + ("\n;" if "--" in last_line else ";")


def _literal(value) -> str:
    """``value`` as an SQL literal (what asyncpg sent as a parameter)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return _quoted(value.isoformat())
    if isinstance(value, (str, UUID)):
        return _quoted(str(value))
    if isinstance(value, (dict, list)):
        return _quoted(json.dumps(value))
    if isinstance(value, bytes):
        return f"'\\x{value.hex()}'::bytea"
    raise TypeError(f"cannot write a {type(value).__name__} parameter as SQL")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _inline(sql: str, args) -> str:
    """Parameters ``$1``... replaced by literals, highest number first."""
    for number in range(len(args or ()), 0, -1):
        sql = sql.replace(f"${number}", _literal(args[number - 1]))
    return sql


def reasons(file: MigrationFile, manager: MigrationManager | None, backwards: bool) -> list[str]:
    """Why ``file`` (whose ``forwards()`` gave ``manager``) does on a
    database with rows more than it does on an empty one; empty when its SQL
    is the same whatever the rows."""
    found = []
    if getattr(file.module, "DATA_ONLY", False) is True:
        found.append("it declares DATA_ONLY: it rewrites rows")
    if manager is None:
        return found + ["its forwards() does its work itself, in Python"]
    if type(manager) not in PLAIN_MANAGERS:
        found.append(f"its manager, {type(manager).__name__}, may run more than Piccolo's SQL")
    for run in manager.raw_backwards if backwards else manager.raw:
        step = getattr(run, "step", None)
        if getattr(run, "state_only", False):
            continue  # state_only: changes what Piccolo runs, not the database
        if step is None:
            found.append(f"its raw step {run.__qualname__}() is Python code, reading rows")
        elif getattr(step, "depends_on_data", None):
            found.append(step.depends_on_data)  # the step says how
        elif not isinstance(step, SAME_SQL_FOR_ANY_ROWS):
            found.append(
                f"its step {type(step).__name__} is not known to run the same SQL whatever "
                "the rows"
            )
    return found


async def migrate_only(
    files: list[MigrationFile], backwards: bool = False
) -> dict[MigrationFile, list[str]]:
    """``reasons`` for each of ``files`` that has any, worked out with no
    database at hand (a ``forwards()`` that needs one is itself a reason)."""
    found = {}
    with piccolo_using(LazyEngine(offline=True)):
        for file in files:
            try:
                manager = await file.manager()
            except Exception as exc:
                found[file] = [f"its forwards() needs a database ({type(exc).__name__})"]
                continue
            why = reasons(file, manager, backwards)
            if why:
                found[file] = why
    return found


@contextmanager
def in_file_order() -> Iterator[None]:
    """Piccolo's operations of one kind run table by table in the order the
    migration lists them, instead of a ``set``'s (see the module's doc)."""
    collections = {
        piccolo_manager.AddColumnCollection: "add_columns",
        piccolo_manager.DropColumnCollection: "drop_columns",
        piccolo_manager.RenameColumnCollection: "rename_columns",
        piccolo_manager.AlterColumnCollection: "alter_columns",
        piccolo_manager.AddConstraintCollection: "add_constraints",
        piccolo_manager.DropConstraintCollection: "drop_constraints",
    }
    originals = {kind: kind.__dict__["table_class_names"] for kind in collections}

    def listed(attribute: str) -> property:
        return property(
            lambda self: list(dict.fromkeys(op.table_class_name for op in getattr(self, attribute)))
        )

    for kind, attribute in collections.items():
        kind.table_class_names = listed(attribute)
    try:
        yield
    finally:
        for kind, original in originals.items():
            kind.table_class_names = original


def _kept(file: MigrationFile, backwards: bool, key: str) -> CapturedMigration | None:
    value = cache.load("captures", _cache_key(key, backwards))
    if value is None:
        return None
    return CapturedMigration(
        file,
        backwards,
        value["transactional"],
        value["statements"],
        value["migrate_only"],
    )


def _cache_key(key: str, backwards: bool) -> str:
    return key + ("-backwards" if backwards else "")


async def capture(
    wanted: list[tuple[MigrationFile, bool]] | None = None, server: str | None = None
) -> list[CapturedMigration]:
    """Each migration's SQL (every forwards, or the (file, backwards) of
    ``wanted``), from what was kept, else by running the migrations forwards
    in order on a scratch database up to the last one needed. A wanted
    backwards run comes right after its forwards, as if its migration were
    the newest; the migration is then applied again."""
    files = all_migration_files()
    if wanted is None:
        wanted = [(f, False) for f in files]
    if not wanted:
        return []
    wanted_keys = {(f.app, f.migration_id, b) for f, b in wanted}
    needed = [
        (i, backwards)
        for i, f in enumerate(files)
        for backwards in (False, True)
        if (f.app, f.migration_id, backwards) in wanted_keys
    ]
    files = files[: needed[-1][0] + 1]
    keys = migration_chain(files)
    found = {(i, b): _kept(files[i], b, keys[i]) for i, b in needed}
    missing = [need for need, captured in found.items() if captured is None]
    if missing:
        async with scratch_database("platform_capture", server) as url:
            last = max(i for i, _ in missing)
            found.update(await replay(url, files[: last + 1], keys, missing))
    return [found[need] for need in needed]


async def replay(
    url: str,
    files: list[MigrationFile],
    keys: list[str] | None = None,
    wanted: list[tuple[int, bool]] = (),
) -> dict[tuple[int, bool], CapturedMigration]:
    """Apply ``files`` in order on the empty scratch database ``url``: a
    migration whose capture was kept runs its statements as captured (as
    psql would), any other runs through the project's runner, every
    statement recorded, and its capture is kept. Returns the captures of
    ``wanted`` ((index in ``files``, backwards)), a backwards one run right
    after its forwards, the migration then applied again."""
    keys = keys or migration_chain(files)
    # The scripts carry the deploy's settings as this environment gives them.
    timeouts = replace(Timeouts.from_environment(), attempts=1)
    got = {}
    direct = await asyncpg.connect(url)
    try:
        # Piccolo prints a line per migration run: not part of any script.
        with (
            piccolo_on(url, engine_class=RecordingEngine) as engine,
            redirect_stdout(io.StringIO()),
            in_file_order(),
        ):
            # A pool saves a connection per query; its connections report too,
            # and skip the reset statements a released connection would run.
            await engine.start_connection_pool(
                min_size=1, max_size=2, init=engine.attach, reset=_keep_session
            )
            try:
                await ensure_migration_table()
                for i, file in enumerate(files):
                    forwards = _kept(file, False, keys[i]) if (i, False) not in wanted else None
                    if forwards is None:
                        forwards = await _run(engine, file, timeouts, backwards=False)
                        cache.store("captures", keys[i], forwards.as_kept())
                    else:
                        await _execute(direct, forwards)
                    got[(i, False)] = forwards
                    if (i, True) in wanted:
                        backwards = await _run(engine, file, timeouts, backwards=True)
                        cache.store("captures", _cache_key(keys[i], True), backwards.as_kept())
                        got[(i, True)] = backwards
                        await _execute(direct, forwards)
            finally:
                await engine.close_connection_pool()
    finally:
        await direct.close()
    return {need: got[need] for need in wanted}


async def _execute(connection, captured: CapturedMigration) -> None:
    """What ``captured`` ran, run again as it was captured, and recorded."""
    for statement in captured.statements:
        await connection.execute(statement)
    file = captured.file
    if captured.backwards:
        await connection.execute(UNRECORD_SQL, file.app, file.migration_id)
    else:
        await connection.execute(RECORD_SQL, file.migration_id, file.app, datetime.now())


async def _keep_session(connection) -> None:
    """Nothing to reset: a migration's settings are SET LOCAL, or on a
    connection of its own."""


async def _run(engine, file, timeouts, backwards) -> CapturedMigration:
    manager = await file.manager()
    transactional = manager is None or manager.wrap_in_transaction
    engine.statements.clear()
    await apply(file, timeouts, backwards=backwards)
    await asyncio.sleep(0)  # query loggers are called soon after, not at once
    ran = [
        (sql, args)
        for sql, args in engine.statements
        if not sql.lstrip().startswith(BOOKKEEPING.strip())
    ]
    why = reasons(file, manager, backwards)
    given = next((sql for sql, args in ran if args), None)
    if given is not None and not why:
        # A value computed in Python while it ran: the script would carry
        # the one the empty database gave.
        first = next(line.strip() for line in given.splitlines() if line.strip())
        why.append(f"it sends values computed as it runs ({first[:60]} ...)")
    statements = [_inline(sql, args) for sql, args in ran]
    return CapturedMigration(file, backwards, transactional, statements, why)
