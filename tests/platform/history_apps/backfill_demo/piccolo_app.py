import os

from piccolo.conf.apps import AppConfig

from tests.platform.history_apps.backfill_demo.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="backfill_demo",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=["admin.piccolo_app"],
)
