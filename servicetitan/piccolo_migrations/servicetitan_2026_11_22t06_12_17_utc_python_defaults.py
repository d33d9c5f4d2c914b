from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamp
from piccolo.columns.defaults.timestamp import TimestampNow
from platform_db.values.clock import UtcNow

ID = "2026-11-22T06:12:17:976952"
VERSION = "1.38.0"
DESCRIPTION = "utc_python_defaults"
# Only the Python side of the defaults changes (UTC instead of host-local
# time for ORM inserts); the DDL default stays the seed's NOW().


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="created_at",
        db_column_name="created_at",
        params={"default": UtcNow()},
        old_params={"default": TimestampNow()},
        column_class=Timestamp,
        old_column_class=Timestamp,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"default": UtcNow()},
        old_params={"default": TimestampNow()},
        column_class=Timestamp,
        old_column_class=Timestamp,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="started_at",
        db_column_name="started_at",
        params={"default": UtcNow()},
        old_params={"default": TimestampNow()},
        column_class=Timestamp,
        old_column_class=Timestamp,
        schema=None,
    )

    return manager
