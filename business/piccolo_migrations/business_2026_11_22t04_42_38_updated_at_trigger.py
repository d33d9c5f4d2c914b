"""The updated_at trigger function (seed 004) and its trigger on companies."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import add_sql_steps
from platform_db.migrations.updated_at import CREATE_FUNCTION, trigger_step

ID = "2026-11-22T04:42:38:428392"
VERSION = "1.38.0"
DESCRIPTION = "updated_at_trigger"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, CREATE_FUNCTION, trigger_step("companies"))
    return manager
