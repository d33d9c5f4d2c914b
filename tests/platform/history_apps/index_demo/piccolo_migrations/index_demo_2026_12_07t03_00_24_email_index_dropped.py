from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-07T03:00:24:237487"
VERSION = "1.38.0"
DESCRIPTION = "email_index_dropped"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="index_demo", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="IndexDemo",
        tablename="index_demo",
        column_name="email",
        db_column_name="email",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
