"""The shared updated_at trigger (created with companies) on every other
business table that has ``updated_at``, so raw SQL updates keep it true."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import add_sql_steps
from platform_db.migrations.updated_at import trigger_step

ID = "2026-11-22T04:53:23:832038"
VERSION = "1.38.0"
DESCRIPTION = "updated_at_triggers"

TABLES = [
    "clients",
    "services",
    "staff",
    "staff_schedules",
    "bookings",
    "appointments_cache",
    "dialog_contexts",
    "reminders",
    "sync_status",
    "whatsapp_auth_keys",
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, *(trigger_step(table) for table in TABLES))
    return manager
