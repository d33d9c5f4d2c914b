import os

from piccolo.conf.apps import AppConfig, table_finder

from .commands.cleanup import cleanup
from .commands.load_sample_data import load_sample_data
from .commands.maintain_partitions import maintain_partitions
from .commands.stats import stats

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="business",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(["business.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[maintain_partitions, cleanup, stats, load_sample_data],
)
