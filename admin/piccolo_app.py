import os

from piccolo.conf.apps import AppConfig, Command

from .commands.serve import serve
from .tables import AdminAuditEntry, AdminMfaSecret, AdminSession

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="admin",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[AdminSession, AdminMfaSecret, AdminAuditEntry],
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
    commands=[Command(callable=serve)],
)
