"""How the table classes differ from what their app's migrations build: the
comparison ``piccolo migrations new --auto`` makes (the operations it would
generate), plus what it misses, since it diffs constraints by name only: a
changed CHECK condition or UNIQUE column list, and the index a column
declares. And where an index is not named as Piccolo names it (an index
built by ``ConcurrentIndex`` under another name): Piccolo drops an index by
its own name only, so such a drop would silently do nothing."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from piccolo.apps.migrations.auto.schema_snapshot import SchemaSnapshot
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import AppConfig


async def drift(app_config: AppConfig) -> list[str]:
    """Empty when the classes match the migrations."""
    manager = AutoMigrationManager(auto_input="n")
    alter = await manager.get_alter_statements(app_config=app_config)
    problems = list(chain(*[i.statements for i in alter]))

    migrated = SchemaSnapshot(await manager.get_migration_managers(app_config)).get_snapshot()
    by_class = {t.class_name: t for t in migrated}
    for table in app_config.table_classes:
        built = by_class.get(table.__name__)
        if built is None:
            continue  # a new table: Piccolo's own comparison names it
        built_constraints = {c._meta.name: c.ddl for c in built.constraints}
        for constraint in table._meta.constraints:
            ddl = built_constraints.get(constraint._meta.name)
            if ddl is not None and ddl != constraint.ddl:
                problems.append(
                    f"{table._meta.tablename}.{constraint._meta.name}: the class says "
                    f"{constraint.ddl!r}, the migrations {ddl!r}; Piccolo does not detect "
                    "this: rename the constraint, then run --auto"
                )
        built_columns = {c._meta.name: c for c in built.columns}
        for column in table._meta.columns:
            old = built_columns.get(column._meta.name)
            if old is None:
                continue
            if _index(column) != _index(old):
                problems.append(
                    f"{table._meta.tablename}.{column._meta.name}: the class's index is "
                    f"{_index(column)}, the migrations' {_index(old)}"
                )
    return problems


def _index(column) -> str:
    if not column._meta.params.get("index"):
        return "none"
    method = column._meta.params.get("index_method")
    return f"USING {getattr(method, 'value', method) or 'btree'}"


@dataclass(frozen=True)
class PiccoloIndex:
    """An index as Piccolo knows it: it creates and drops it by the name
    ``<table>_<column>`` (``Table._get_index_name``), nothing else."""

    table: str  # schema.table
    column: str
    name: str  # schema.index, as Piccolo names it
    # The migration whose alter_column took ``index=True`` away (Piccolo ran
    # DROP INDEX IF EXISTS <name>), when the column has no index now.
    dropped_in: str | None = None


async def piccolo_indexes(app_config: AppConfig, applied: set[str]) -> list[PiccoloIndex]:
    """The indexes Piccolo expects after the ``applied`` migrations of the
    app: one per column declared ``index=True``, and one per index it
    dropped (to see whether the drop found it)."""
    managers = [
        m
        for m in await AutoMigrationManager(auto_input="n").get_migration_managers(app_config)
        if m.migration_id in applied
    ]
    found = {}
    for table in SchemaSnapshot(managers).get_snapshot():
        for column in table.columns:
            if column._meta.params.get("index"):
                name = _truncated(f"{table.tablename}_{column._meta.db_column_name}")
                found[(table.schema, table.tablename, column._meta.db_column_name)] = name
    indexes = [
        PiccoloIndex(f"{schema or 'public'}.{table}", column, f"{schema or 'public'}.{name}")
        for (schema, table, column), name in found.items()
    ]
    for manager in managers:
        for op in manager.alter_columns.alter_columns:
            key = (op.schema, op.tablename, op.db_column_name)
            if op.params.get("index") is False and op.old_params.get("index") and key not in found:
                schema = op.schema or "public"
                indexes.append(
                    PiccoloIndex(
                        f"{schema}.{op.tablename}",
                        op.db_column_name,
                        f"{schema}.{_truncated(f'{op.tablename}_{op.db_column_name}')}",
                        manager.migration_id,
                    )
                )
    return indexes


def index_name_problems(
    expected: list[PiccoloIndex], live: dict[tuple[str, str], list]
) -> list[str]:
    """Where the database's indexes are not named as Piccolo names them:
    ``live`` maps (schema.table, column) to the names of the plain
    one-column indexes on it (the database's)."""
    problems = []
    for index in expected:
        there = sorted(live.get((index.table, index.column), []))
        if index.dropped_in is None and index.name not in there:
            problems.append(
                f"{index.table}.{index.column}: Piccolo names its index {index.name}, and "
                f"creates and drops it by that name; the database has "
                f"{', '.join(there) or 'no index on it'}: a later --auto that drops it would "
                "do nothing. Name the index as Piccolo does (ALTER INDEX ... RENAME TO in a "
                "new migration, or ConcurrentIndex with that name)"
            )
        elif index.dropped_in is not None and there:
            problems.append(
                f"{index.table}.{index.column}: migration {index.dropped_in} dropped its index "
                f"as Piccolo names it ({index.name}), which did not exist; "
                f"{', '.join(there)} is still there. Drop it in a new migration "
                "(ConcurrentIndex's backwards)"
            )
    return problems


def _truncated(name: str) -> str:
    """As PostgreSQL stores a name: at most 63 bytes."""
    return name.encode()[:63].decode(errors="ignore")
