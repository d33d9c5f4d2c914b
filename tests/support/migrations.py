"""The project's migrations as ``forwards all`` applies them, and which of
them rightly leave the catalog alone."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands.base import BaseMigrationManager

from platform_db.migrations.runner import all_migration_files, app_names  # noqa: F401


def migration_plan() -> list[tuple[str, str]]:
    """``(app, migration id)`` in the order ``forwards all`` runs them."""
    return [(f.app, f.migration_id) for f in all_migration_files()]


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


async def reordered_tables(app: str, migration_id: str) -> set[str]:
    """Tables whose column order the migration changes for good: a
    ``ChangeColumnType`` puts its column last, forwards and backwards (the
    SQL steps' runners carry their step as ``.step``)."""
    from platform_db.migrations.online import ChangeColumnType

    base = BaseMigrationManager()
    config = base.get_app_config(app)
    module = base.get_migration_modules(config.resolved_migrations_folder_path)[migration_id]
    manager = await module.forwards()
    steps = [getattr(run, "step", None) for run in getattr(manager, "raw", [])]
    return {step.table for step in steps if isinstance(step, ChangeColumnType)}
