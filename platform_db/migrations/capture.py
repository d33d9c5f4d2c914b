"""The SQL each migration really executes, raw steps included: the
migrations are run, through the project's own runner, on a scratch database
(``platform_db.database.scratch``, never the configured one) whose engine records
every statement its connections send. ``--preview`` cannot do this: it
leaves out every raw step.

Each migration's statements become a script ``psql`` can apply, as
``piccolo platform migrate`` runs it: in a transaction with its timeouts,
recorded in Piccolo's ``migration`` table (a migration declared
``wrap_in_transaction=False`` runs statement by statement).
"""

from __future__ import annotations

import asyncio
import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from piccolo.engine.postgres import PostgresEngine

from platform_db.migrations.runner import (
    BOOKKEEPING,
    MigrationFile,
    Timeouts,
    all_migration_files,
    apply,
    ensure_migration_table,
)
from platform_db.database.scratch import piccolo_on, scratch_database


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


async def capture(
    wanted: list[tuple[MigrationFile, bool]] | None = None, server: str | None = None
) -> list[CapturedMigration]:
    """Run the migrations forwards in order on a scratch database, capturing
    each one's SQL. ``wanted`` (file, backwards) limits what is kept and how
    far it goes; a wanted backwards run comes right after its forwards, when
    its migration is the newest, then the migration is applied again."""
    files = all_migration_files()
    keep = None if wanted is None else {(f.app, f.migration_id, b) for f, b in wanted}
    if keep is not None:
        wanted_ids = {(app, mid) for app, mid, _ in keep}
        files = files[
            : max(i for i, f in enumerate(files) if (f.app, f.migration_id) in wanted_ids) + 1
        ]
    # The scripts carry the deploy's settings as this environment gives them.
    timeouts = replace(Timeouts.from_environment(), attempts=1)
    captured: list[CapturedMigration] = []
    async with scratch_database("platform_capture", server) as url:
        # Piccolo prints a line per migration run: not part of any script.
        with (
            piccolo_on(url, engine_class=RecordingEngine) as engine,
            redirect_stdout(io.StringIO()),
        ):
            # A pool saves a connection per query; its connections report too,
            # and skip the reset statements a released connection would run.
            await engine.start_connection_pool(
                min_size=1, max_size=2, init=engine.attach, reset=_keep_session
            )
            try:
                await ensure_migration_table()
                for file in files:
                    for backwards in (False, True):
                        key = (file.app, file.migration_id, backwards)
                        if backwards and (keep is None or key not in keep):
                            continue
                        result = await _run(engine, file, timeouts, backwards)
                        if keep is None or key in keep:
                            captured.append(result)
                        if backwards:
                            await apply(file, timeouts)
            finally:
                await engine.close_connection_pool()
    return captured


async def _keep_session(connection) -> None:
    """Nothing to reset: a migration's settings are SET LOCAL, or on a
    connection of its own."""


async def _run(engine, file, timeouts, backwards) -> CapturedMigration:
    manager = await file.manager()
    transactional = manager is None or manager.wrap_in_transaction
    engine.statements.clear()
    await apply(file, timeouts, backwards=backwards)
    await asyncio.sleep(0)  # query loggers are called soon after, not at once
    statements = [
        _inline(sql, args)
        for sql, args in engine.statements
        if not sql.lstrip().startswith(BOOKKEEPING.strip())
    ]
    return CapturedMigration(file, backwards, transactional, statements)
