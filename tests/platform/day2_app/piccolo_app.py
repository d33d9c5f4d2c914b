"""The app of docs/migrations.md's day-2 examples (PICCOLO_CONF=tests.platform.day2_conf):
``Client``, a busy table, and ``Message``, partitioned by month. ``DAY2_FOLDER`` names a
folder holding ``tables.py`` and ``piccolo_migrations/`` as the examples leave them
(``tests/platform/test_day2_paths.py`` writes it); unset, this folder: the history the
examples start from."""

import importlib.util
import os
import sys
from pathlib import Path

from piccolo.conf.apps import AppConfig

FOLDER = Path(os.environ.get("DAY2_FOLDER") or Path(__file__).parent)


def _tables():
    spec = importlib.util.spec_from_file_location("day2_tables", FOLDER / "tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # where inspect finds the classes' source
    spec.loader.exec_module(module)
    return module.TABLES


APP_CONFIG = AppConfig(
    app_name="day2",
    migrations_folder_path=str(FOLDER / "piccolo_migrations"),
    table_classes=_tables(),
    migration_dependencies=["business.piccolo_app"],
)
