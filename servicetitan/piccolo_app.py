import os

from piccolo.conf.apps import AppConfig, Command

from platform_db.commands.rotate_keys import rotate_keys

from .commands.add_credential import add_credential
from .commands.load import load
from .commands.set_tenant_id import set_tenant_id
from .commands.worker import worker
from .commands.sync import sync
from .commands.test_connection import test_connection
from .cache.raw_tables import CACHE_TABLES
from .cache.sync_state import SyncState
from .tables import ServiceTitanCredential, ServiceTitanSyncLog

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="servicetitan",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        ServiceTitanCredential,
        ServiceTitanSyncLog,
        SyncState,
        *CACHE_TABLES.values(),
    ],
    migration_dependencies=["business.piccolo_app"],
    commands=[
        Command(callable=load),
        Command(callable=add_credential),
        Command(callable=set_tenant_id),
        Command(callable=rotate_keys),
        Command(callable=worker),
        Command(callable=test_connection),
        Command(callable=sync),
    ],
)
