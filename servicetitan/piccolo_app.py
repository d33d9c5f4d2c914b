import os

from piccolo.conf.apps import AppConfig, Command

from .commands.rotate_keys import rotate_keys
from .tables import ServiceTitanCredential, ServiceTitanSyncLog

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="servicetitan",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[ServiceTitanCredential, ServiceTitanSyncLog],
    migration_dependencies=["business.piccolo_app"],
    commands=[Command(callable=rotate_keys)],
)
