from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Numeric, Serial, Varchar

ID = "2026-12-01T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tables"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lint_types", description=DESCRIPTION)
    manager.add_table(
        class_name="TypesDemo", tablename="lint_types_demo", schema=None, columns=None
    )
    for name, column_class, params in (
        ("id", Serial, {"null": False, "primary_key": True}),
        ("email", Varchar, {"length": 255, "default": "", "null": False}),
        ("notes", Varchar, {"length": 255, "default": "", "null": False}),
        ("amount", Numeric, {"digits": (10, 2), "default": None, "null": True}),
        ("n", Integer, {"default": 0, "null": False}),
    ):
        manager.add_column(
            table_class_name="TypesDemo",
            tablename="lint_types_demo",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
