"""A test-only app whose one migration takes SLOW_MIGRATION_SECONDS (default 4), in a
transaction or, with SLOW_MIGRATION_OUTSIDE_TRANSACTION=1, outside one."""

import os

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="slow_app",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
    # Last of all, so that a deploy reaches it after the project's migrations.
    migration_dependencies=["admin.piccolo_app"],
)
