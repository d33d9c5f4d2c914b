"""A test-only app whose table class has no migration (PICCOLO_CONF=tests.platform.drift_conf)."""

import os

from piccolo.columns import Varchar
from piccolo.conf.apps import AppConfig
from piccolo.table import Table


class DriftProbe(Table, tablename="drift_probe"):
    name = Varchar(length=40)


APP_CONFIG = AppConfig(
    app_name="drift_app",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[DriftProbe],
    migration_dependencies=["business.piccolo_app"],
)
