"""A test-only app whose migration needs a lock on public.companies."""

import os

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="lock_app",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["business.piccolo_app"],
)
