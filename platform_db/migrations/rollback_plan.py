"""What a rollback will cost and whether the data present lets it through,
known before its first step runs.

Each migration's backwards SQL is captured as it really runs
(``platform_db.migrations.capture``, on a scratch database), judged by
Squawk (``platform_db.migrations.lint``), and read with PostgreSQL's own
parser (pglast) for what the plan must say:

- data that will not come back: a table or a column the backwards drops (a
  column dropped and replaced by a converted copy of the same name, as
  ``ChangeColumnType`` does, keeps its values);
- rewrites (a column's type changed in place, a column added with a volatile
  default, rows updated) and full scans under a lock writers wait for (a
  CHECK or FOREIGN KEY added without ``NOT VALID``, ``SET NOT NULL``, a
  UNIQUE built by ``ADD CONSTRAINT``, an index built without
  ``CONCURRENTLY``), with the table's rows;
- what the backwards needs of the data (a CHECK, a NOT NULL, a unique index
  or constraint, a FOREIGN KEY, a narrower ``varchar``, a ``NOT NULL``
  column added without a default): each is counted against the database
  first, and a migration whose need some row breaks is an ``Obstacle``: the
  rollback is refused whole, nothing changed.

The counts run in one read-only transaction under the deploy's
``statement_timeout``; rows and values lost are the catalog's estimates
(exact counts for a table never analyzed). The data is as it is now: a
check does not see what an earlier step of the same rollback changes.
"""

from __future__ import annotations

import hashlib
import io
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from piccolo.engine import engine_finder
from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError
from pglast.stream import RawStream

from platform_db.migrations.capture import CapturedMigration, capture
from platform_db.migrations.runner import MigrationFile, Timeouts, all_migration_files

# A column default that makes ADD COLUMN write every row.
VOLATILE_DEFAULTS = {"gen_random_uuid", "uuid_generate_v4", "random", "clock_timestamp", "nextval"}


@dataclass(frozen=True)
class Need:
    """Something a backwards needs of the rows of ``table``; ``breaking``
    counts the rows that break it."""

    what: str
    table: str
    breaking: str


@dataclass(frozen=True)
class Obstacle:
    file: MigrationFile
    need: Need
    rows: int

    def __str__(self) -> str:
        return (
            f"{self.file.label} ({self.file.description}) cannot be reversed with the data "
            f"present: its backwards {self.need.what}, which {self.rows:,} row(s) break"
        )


@dataclass
class MigrationCosts:
    file: MigrationFile
    transactional: bool
    lines: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)  # Squawk's, platform_db.migrations.lint.Finding


@dataclass
class Analysis:
    migrations: list[MigrationCosts]
    obstacles: list[Obstacle]


class PlanFailed(Exception):
    """The backwards SQL could not be captured or read; nothing was changed."""


# Captured backwards SQL of every migration, by the fingerprint of the files
# that make it: one capture serves every rollback of a process.
_captured: dict[str, dict[tuple[str, str], CapturedMigration]] = {}


def _fingerprint(files: list[MigrationFile]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.label}\0".encode())
        digest.update(Path(file.module.__file__).read_bytes())
    return digest.hexdigest()


async def captured_backwards(files: list[MigrationFile]) -> list[CapturedMigration]:
    everything = all_migration_files()
    key = _fingerprint(everything)
    if key not in _captured:
        try:
            found = await _capture(everything)
        except Exception:  # one that cannot run on a scratch database: only ``files`` then
            return await _capture(files)
        _captured[key] = {(c.file.app, c.file.migration_id): c for c in found}
    return [_captured[key][(f.app, f.migration_id)] for f in files]


async def _capture(files: list[MigrationFile]) -> list[CapturedMigration]:
    order = {(f.app, f.migration_id): i for i, f in enumerate(files)}
    with redirect_stdout(io.StringIO()):  # Piccolo's line per migration run
        found = await capture([(f, True) for f in files])
    return sorted(found, key=lambda c: order[(c.file.app, c.file.migration_id)])


async def analyse(files: list[MigrationFile], timeouts: Timeouts) -> Analysis:
    """``files`` (newest first, as they will be reversed) planned."""
    from platform_db.migrations.lint import LintError, squawk

    try:
        captured = await captured_backwards(files)
        findings = squawk(captured)
    except (LintError, Exception) as exc:  # a migration that cannot run on a scratch database
        raise PlanFailed(f"{type(exc).__name__}: {' '.join(str(exc).split())}") from exc
    readings = [_Reading.of(c) for c in captured]
    async with _ReadOnly(timeouts) as database:
        migrations, obstacles = [], []
        for captured_one, reading in zip(captured, readings):
            costs = MigrationCosts(captured_one.file, captured_one.transactional)
            costs.findings = [f for f in findings if f.migration is captured_one]
            costs.lines = [await line.text(database) for line in reading.costs]
            migrations.append(costs)
            for need in reading.needs:
                rows = await database.breaking(need)
                if rows:
                    obstacles.append(Obstacle(captured_one.file, need, rows))
    return Analysis(migrations, obstacles)


@dataclass(frozen=True)
class _Cost:
    """A line of the plan: ``template`` with ``{rows}`` (the table's rows)
    or ``{values}`` (the column's non-null values) filled in."""

    template: str
    table: str
    column: str | None = None

    async def text(self, database: _ReadOnly) -> str:
        if "{values}" in self.template:
            values = await database.values(self.table, self.column)
            return self.template.replace("{values}", values)
        if "{rows}" in self.template:
            return self.template.replace("{rows}", await database.rows(self.table))
        return self.template


def _null_default(default) -> bool:
    """No DEFAULT, or ``DEFAULT NULL`` (as Piccolo writes a nullable column's)."""
    if default is None:
        return True
    expr = default.raw_expr
    return isinstance(expr, ast.A_Const) and bool(getattr(expr, "isnull", False))


@dataclass
class _Reading:
    """What one migration's backwards statements do, read by pglast."""

    costs: list[_Cost] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)
    copies: set = field(default_factory=set)
    filled: set = field(default_factory=set)

    @classmethod
    def of(cls, captured: CapturedMigration) -> _Reading:
        reading = cls()
        statements = []
        for sql in captured.statements:
            try:
                statements += [raw.stmt for raw in parse_sql(sql)]
            except ParseError:
                continue
        renames = [
            (_table(s.relation), s.subname, s.newname)
            for s in statements
            if isinstance(s, ast.RenameStmt) and s.renameType == ObjectType.OBJECT_COLUMN
        ]
        renamed = {(table, new) for table, _, new in renames}
        # A column added and then renamed into place, or filled by an UPDATE
        # of the same backwards, is a converted copy (``ChangeColumnType``),
        # not a dropped column coming back empty.
        reading.copies = {(table, old) for table, old, _ in renames}
        reading.filled = {_table(s.relation) for s in statements if isinstance(s, ast.UpdateStmt)}
        updated: set[str] = set()
        for statement in statements:
            reading._read(statement, renamed, updated)
        return reading

    def _read(self, statement, renamed: set, updated: set) -> None:
        if isinstance(statement, ast.DropStmt) and statement.removeType == ObjectType.OBJECT_TABLE:
            for name in statement.objects:
                table = ".".join(part.sval for part in name)
                self.costs.append(
                    _Cost(
                        f"drops table {table} with its {{rows}} row(s): they will not come back",
                        table,
                    )
                )
        elif isinstance(statement, ast.AlterTableStmt):
            table = _table(statement.relation)
            for command in statement.cmds or ():
                self._read_command(table, command, renamed)
        elif isinstance(statement, ast.IndexStmt):
            self._read_index(statement)
        elif isinstance(statement, ast.UpdateStmt):
            table = _table(statement.relation)
            if table not in updated:
                updated.add(table)
                self.costs.append(
                    _Cost(
                        f"updates rows of {table} ({{rows}} row(s)), each one written again", table
                    )
                )

    def _read_command(self, table: str, command, renamed: set) -> None:
        kind = command.subtype
        if kind == AlterTableType.AT_DropColumn:
            if (table, command.name) in renamed:
                return  # replaced by a converted copy that takes its name
            self.costs.append(
                _Cost(
                    f"drops column {table}.{command.name}: {{values}} value(s) that will not "
                    "come back",
                    table,
                    command.name,
                )
            )
        elif kind == AlterTableType.AT_AlterColumnType:
            self._read_type_change(table, command)
        elif kind == AlterTableType.AT_SetNotNull:
            column = _quoted(command.name)
            self.costs.append(
                _Cost(
                    f"scans {table} ({{rows}} row(s)) under an ACCESS EXCLUSIVE lock for SET NOT "
                    f"NULL on {command.name}, unless a validated CHECK spares it",
                    table,
                )
            )
            self.needs.append(
                Need(
                    f"sets NOT NULL on {table}.{command.name}",
                    table,
                    f"SELECT count(*) FROM {_relation(table)} WHERE {column} IS NULL",
                )
            )
        elif kind == AlterTableType.AT_AddConstraint:
            self._read_constraint(table, command.def_)
        elif kind == AlterTableType.AT_AddColumn:
            self._read_new_column(table, command.def_)
        elif kind == AlterTableType.AT_ValidateConstraint:
            self.costs.append(
                _Cost(
                    f"scans {table} ({{rows}} row(s)) to validate {command.name} (writers go on)",
                    table,
                )
            )

    def _read_type_change(self, table: str, command) -> None:
        type_name = command.def_.typeName
        target = RawStream()(type_name)
        self.costs.append(
            _Cost(
                f"changes {table}.{command.name} to {target}: a rewrite of {{rows}} row(s) under "
                "an ACCESS EXCLUSIVE lock unless the change is metadata-only (a wider varchar, "
                "varchar to text)",
                table,
            )
        )
        names = [n.sval for n in type_name.names]
        if names[-1] in ("varchar", "bpchar") and type_name.typmods:
            length = type_name.typmods[0].val.ival
            self.needs.append(
                Need(
                    f"narrows {table}.{command.name} to {target}",
                    table,
                    f"SELECT count(*) FROM {_relation(table)}"
                    f" WHERE char_length({_quoted(command.name)}) > {int(length)}",
                )
            )

    def _read_constraint(self, table: str, constraint) -> None:
        kind = constraint.contype
        name = constraint.conname or ""
        if kind == ConstrType.CONSTR_CHECK:
            condition = RawStream()(constraint.raw_expr)
            if not constraint.skip_validation:
                self.costs.append(
                    _Cost(
                        f"scans {table} ({{rows}} row(s)) under an ACCESS EXCLUSIVE lock to add "
                        f"CHECK {name}",
                        table,
                    )
                )
            self.needs.append(
                Need(
                    f"adds CHECK ({condition}) to {table}",
                    table,
                    f"SELECT count(*) FROM {_relation(table)} WHERE NOT ({condition})",
                )
            )
        elif kind == ConstrType.CONSTR_FOREIGN:
            self._read_foreign_key(table, constraint)
        elif kind in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
            if constraint.indexname:
                return  # USING INDEX: the index exists, built and checked already
            columns = [k.sval for k in constraint.keys]
            what = "PRIMARY KEY" if kind == ConstrType.CONSTR_PRIMARY else "UNIQUE"
            self.costs.append(
                _Cost(
                    f"builds the index of {what} {name} on {table} ({{rows}} row(s)) under an "
                    "ACCESS EXCLUSIVE lock",
                    table,
                )
            )
            self.needs.append(
                _unique_need(
                    table,
                    f"adds {what} ({', '.join(columns)}) to {table}",
                    [_quoted(c) for c in columns],
                    None,
                    constraint.nulls_not_distinct or kind == ConstrType.CONSTR_PRIMARY,
                    primary=kind == ConstrType.CONSTR_PRIMARY,
                )
            )

    def _read_foreign_key(self, table: str, constraint) -> None:
        referenced = _table(constraint.pktable)
        columns = [a.sval for a in constraint.fk_attrs]
        keys = [a.sval for a in constraint.pk_attrs or ()]
        if not constraint.skip_validation:
            self.costs.append(
                _Cost(
                    f"scans {table} ({{rows}} row(s)) under a SHARE ROW EXCLUSIVE lock (writers "
                    f"wait) to add FOREIGN KEY {constraint.conname or ''}",
                    table,
                )
            )
        if not keys:
            return  # the referenced primary key: checked by the catalog below when named
        present = " AND ".join(f"c.{_quoted(c)} IS NOT NULL" for c in columns)
        match = " AND ".join(f"p.{_quoted(k)} = c.{_quoted(c)}" for c, k in zip(columns, keys))
        self.needs.append(
            Need(
                f"adds FOREIGN KEY ({', '.join(columns)}) REFERENCES {referenced} to {table}",
                table,
                f"SELECT count(*) FROM {_relation(table)} AS c WHERE {present} AND NOT EXISTS"
                f" (SELECT 1 FROM {_relation(referenced)} AS p WHERE {match})",
            )
        )

    def _read_new_column(self, table: str, column) -> None:
        constraints = column.constraints or ()
        default = next((c for c in constraints if c.contype == ConstrType.CONSTR_DEFAULT), None)
        not_null = column.is_not_null or any(
            c.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY) for c in constraints
        )
        if default is not None and _volatile(default.raw_expr):
            self.costs.append(
                _Cost(
                    f"adds {table}.{column.colname} with a volatile default: a rewrite of "
                    "{rows} row(s) under an ACCESS EXCLUSIVE lock",
                    table,
                )
            )
        if (table, column.colname) not in self.copies and table not in self.filled:
            # The forwards dropped it (a contract step): its values went with it.
            self.costs.append(
                _Cost(
                    f"adds column {table}.{column.colname} back without the values the "
                    f"migration dropped: its {{rows}} row(s) get "
                    f"{'NULL' if _null_default(default) else 'its default'}",
                    table,
                )
            )
        if not_null and default is None:
            self.needs.append(
                Need(
                    f"adds {table}.{column.colname} NOT NULL without a default",
                    table,
                    f"SELECT count(*) FROM {_relation(table)}",
                )
            )

    def _read_index(self, index) -> None:
        table = _table(index.relation)
        how = "concurrently (writers go on)" if index.concurrent else "(writes wait for it)"
        self.costs.append(
            _Cost(f"builds index {index.idxname} on {table} ({{rows}} row(s)) {how}", table)
        )
        if not index.unique:
            return
        elements = [
            _quoted(e.name) if e.name else f"({RawStream()(e.expr)})" for e in index.indexParams
        ]
        where = RawStream()(index.whereClause) if index.whereClause else None
        self.needs.append(
            _unique_need(
                table,
                f"builds unique index {index.idxname} on {table}",
                elements,
                where,
                index.nulls_not_distinct,
            )
        )


def _unique_need(
    table: str,
    what: str,
    elements: list[str],
    where: str | None,
    nulls_not_distinct: bool,
    primary: bool = False,
) -> Need:
    """Rows in groups of two or more with the same key (NULLs apart, unless
    they are not distinct; a primary key also refuses a NULL)."""
    conditions = [] if nulls_not_distinct else [f"{e} IS NOT NULL" for e in elements]
    if where:
        conditions.append(f"({where})")
    filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    duplicates = (
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {_relation(table)}"
        f"{filtered} GROUP BY {', '.join(elements)} HAVING count(*) > 1) AS d"
    )
    if primary:
        nulls = " OR ".join(f"{e} IS NULL" for e in elements)
        duplicates = (
            f"SELECT ({duplicates}) + (SELECT count(*) FROM {_relation(table)} WHERE {nulls})"
        )
    return Need(what, table, duplicates)


def _volatile(expression) -> bool:
    return isinstance(expression, ast.FuncCall) and (
        expression.funcname[-1].sval in VOLATILE_DEFAULTS
    )


def _table(relation) -> str:
    return f"{relation.schemaname}.{relation.relname}" if relation.schemaname else relation.relname


def _relation(table: str) -> str:
    return ".".join(_quoted(part) for part in table.split("."))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _ReadOnly:
    """One read-only transaction on the database being rolled back."""

    def __init__(self, timeouts: Timeouts):
        self.timeouts = timeouts
        self._rows: dict[str, str] = {}

    async def __aenter__(self) -> _ReadOnly:
        engine = engine_finder()
        self._transaction = engine.transaction()
        transaction = await self._transaction.__aenter__()
        self.connection = transaction.connection
        await self.connection.execute(
            "SET TRANSACTION READ ONLY;\n"
            f"SET LOCAL statement_timeout = '{self.timeouts.statement_timeout}'"
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self._transaction.__aexit__(*exc)

    async def _exists(self, table: str) -> bool:
        return await self.connection.fetchval(
            "SELECT to_regclass($1) IS NOT NULL", _relation(table)
        )

    async def breaking(self, need: Need) -> int:
        """Rows that break ``need``; 0 for a table or column the rollback
        itself makes first (it holds no rows yet)."""
        if not await self._exists(need.table):
            return 0
        try:
            async with self.connection.transaction():  # a savepoint: a miss leaves the rest
                return int(await self.connection.fetchval(need.breaking))
        except (asyncpg.UndefinedColumnError, asyncpg.UndefinedTableError):
            return 0

    async def rows(self, table: str) -> str:
        if table not in self._rows:
            self._rows[table] = await self._count(table, None)
        return self._rows[table]

    async def values(self, table: str, column: str) -> str:
        return await self._count(table, column)

    async def _count(self, table: str, column: str | None) -> str:
        if not await self._exists(table):
            return "0"
        estimate = await self.connection.fetchval(
            "SELECT c.reltuples * (1 - coalesce(s.null_frac, 0)) FROM pg_class c"
            " LEFT JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname"
            " AND s.attname = $2 WHERE c.oid = to_regclass($1)",
            _relation(table),
            column,
        )
        if estimate is not None and estimate > 0:
            return f"~{int(estimate):,}"
        counted = "count(*)" if column is None else f"count({_quoted(column)})"
        try:
            async with self.connection.transaction():
                exact = await self.connection.fetchval(f"SELECT {counted} FROM {_relation(table)}")
        except asyncpg.UndefinedColumnError:
            return "0"
        return f"{exact:,}"
