from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T14:05:23:072939"
VERSION = "1.38.0"
DESCRIPTION = "staff"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="day2", description=DESCRIPTION)

    manager.add_table(class_name="Staff", tablename="day2_staff", schema=None, columns=None)

    manager.add_column(
        table_class_name="Staff",
        tablename="day2_staff",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
