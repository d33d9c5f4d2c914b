"""Project-wide commands: `piccolo platform <command>`. No tables."""

import os

from piccolo.conf.apps import AppConfig, Command

from platform_db.cli.preflight import install as install_preflight
from platform_db.commands.check import check
from platform_db.commands.help import help, install_app_help
from platform_db.commands.lint import lint
from platform_db.commands.migrate import migrate
from platform_db.commands.rollback import rollback
from platform_db.commands.rotate_keys import rotate_keys
from platform_db.commands.sql import sql
from platform_db.migrations.hooks import install

# Piccolo's own migration commands get the project's timeouts and safe
# rollbacks wherever this app is registered (see platform_db.migrations.hooks).
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
        Command(callable=rotate_keys),
        Command(callable=sql),
        Command(callable=lint),
        Command(callable=check),
        Command(callable=help, aliases=["--help", "-h"]),
    ],
)
