"""How the table classes differ from what their app's migrations build: the
comparison ``piccolo migrations new --auto`` makes (the operations it would
generate), plus what it misses, since it diffs constraints by name only: a
changed CHECK condition or UNIQUE column list, and the index a column
declares."""

from __future__ import annotations

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
