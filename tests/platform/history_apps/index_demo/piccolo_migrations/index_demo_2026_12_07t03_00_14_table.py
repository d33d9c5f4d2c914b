from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T03:00:14:150643"
VERSION = "1.38.0"
DESCRIPTION = "table"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="index_demo", description=DESCRIPTION)

    manager.add_table(class_name="IndexDemo", tablename="index_demo", schema=None, columns=None)

    manager.add_column(
        table_class_name="IndexDemo",
        tablename="index_demo",
        column_name="email",
        db_column_name="email",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
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
