"""One migration's ``forwards``: an ``alter_column`` of ``lint_types_demo``
exactly as ``piccolo migrations new lint_types --auto`` writes it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager


def alter_column(migration_id: str, description: str, column: str, **change):
    """``change``: params, old_params, column_class, old_column_class."""

    async def forwards():
        manager = MigrationManager(
            migration_id=migration_id, app_name="lint_types", description=description
        )
        manager.alter_column(
            table_class_name="TypesDemo",
            tablename="lint_types_demo",
            column_name=column,
            db_column_name=column,
            schema=None,
            **change,
        )
        return manager

    return forwards
