"""The project's migrations as ``forwards all`` applies them, and a drift
check that sees what ``piccolo migrations new --auto`` would see (and the
constraint changes it misses)."""

from __future__ import annotations

from itertools import chain

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.auto.schema_snapshot import SchemaSnapshot
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import AppConfig


def app_names() -> list[str]:
    return BaseMigrationManager().get_sorted_app_names()


def migration_plan() -> list[tuple[str, str]]:
    """``(app, migration id)`` in the order ``forwards all`` runs them."""
    manager = BaseMigrationManager()
    plan = []
    for app in app_names():
        config = manager.get_app_config(app)
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        plan += [(app, migration_id) for migration_id in sorted(modules)]
    return plan


# Column parameters that exist in Python only: changing them alters no
# database object (``secret`` only tells ``exclude_secrets`` and the admin).
# ``default`` too, for the walk only asks this when the catalog did not
# change: a default whose DDL stayed the same changed only its Python side
# (e.g. UtcNow for TimestampNow, both ``current_timestamp`` in SQL).
PYTHON_ONLY_PARAMS = frozenset({"secret", "help_text", "required", "default"})


def _module(app: str, migration_id: str):
    base = BaseMigrationManager()
    config = base.get_app_config(app)
    return base.get_migration_modules(config.resolved_migrations_folder_path)[migration_id]


def data_only(app: str, migration_id: str) -> bool:
    """Whether the migration says it rewrites rows only (``DATA_ONLY = True``),
    so that it rightly leaves the catalog as it was; a test of its own proves
    what it does to rows, in both directions."""
    return getattr(_module(app, migration_id), "DATA_ONLY", False) is True


async def python_only(app: str, migration_id: str) -> bool:
    """Whether the migration does nothing but change Python-only column
    parameters, so that it rightly leaves the catalog as it was."""
    manager = await _module(app, migration_id).forwards()
    if not isinstance(manager, MigrationManager):
        return False
    other_operations = [
        manager.add_tables,
        manager.drop_tables,
        manager.rename_tables,
        manager.change_table_schemas,
        manager.add_columns.add_columns,
        manager.drop_columns.drop_columns,
        manager.rename_columns.rename_columns,
        manager.add_constraints.add_constraints,
        manager.drop_constraints.drop_constraints,
        manager.raw,
        manager.raw_backwards,
    ]
    alters = manager.alter_columns.alter_columns
    return (
        bool(alters)
        and not any(other_operations)
        and all(
            a.column_class is a.old_column_class
            and set(a.params) | set(a.old_params) <= PYTHON_ONLY_PARAMS
            for a in alters
        )
    )


async def drift(app_config: AppConfig) -> list[str]:
    """How the table classes differ from the app's migrations; empty if not."""
    manager = AutoMigrationManager(auto_input="n")
    alter = await manager.get_alter_statements(app_config=app_config)
    problems = list(chain(*[i.statements for i in alter]))

    # Piccolo diffs constraints by name only: a changed CHECK condition or
    # UNIQUE column list would slip through, so compare their DDL too.
    migrated = SchemaSnapshot(await manager.get_migration_managers(app_config)).get_snapshot()
    migrated_ddl = {
        (t.class_name, c._meta.name): c.ddl for t in migrated for c in t.constraints
    }
    for table in app_config.table_classes:
        for constraint in table._meta.constraints:
            key = (table.__name__, constraint._meta.name)
            if key in migrated_ddl and migrated_ddl[key] != constraint.ddl:
                problems.append(
                    f"{table._meta.tablename}.{constraint._meta.name}: the class says "
                    f"{constraint.ddl!r}, the migrations {migrated_ddl[key]!r}; Piccolo "
                    "does not detect this: rename the constraint, then run --auto"
                )
    return problems
