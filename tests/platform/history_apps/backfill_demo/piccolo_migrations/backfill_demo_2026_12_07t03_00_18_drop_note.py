from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T03:00:18:714383"
VERSION = "1.38.0"
DESCRIPTION = "drop_note"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="backfill_demo", description=DESCRIPTION)

    manager.drop_column(
        table_class_name="BackfillDemo",
        tablename="backfill_demo",
        column_name="note",
        db_column_name="note",
        schema=None,
    )

    return manager
