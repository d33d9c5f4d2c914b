"""Project-wide commands: `piccolo platform <command>`. No tables."""

import os

from piccolo.conf.apps import AppConfig, Command

from .commands.check import check
from .commands.help import help, install_app_help
from .commands.lint import lint
from .commands.migrate import migrate
from .commands.rollback import rollback
from .commands.sql import sql
from .migration_hooks import install
from .preflight import install as install_preflight

# Piccolo's own migration commands get the project's timeouts and safe
# rollbacks wherever this app is registered (see migration_hooks).
install()
# A project command's arguments are checked before Piccolo's CLI connects.
install_preflight()
# `piccolo <app> --help` lists that app's commands (see commands/help.py).
install_app_help()

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="platform",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=[],
    commands=[
        Command(callable=migrate),
        Command(callable=rollback),
        Command(callable=sql),
        Command(callable=lint),
        Command(callable=check),
        Command(callable=help, aliases=["--help", "-h"]),
    ],
)
