"""Project-wide commands: `piccolo platform <command>`. No tables."""

import os

from piccolo.conf.apps import AppConfig, Command

from .commands.help import help
from .commands.migrate import migrate

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="platform",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=[],
    commands=[Command(callable=migrate), Command(callable=help, aliases=["--help", "-h"])],
)
