"""email varchar(255) -> varchar(320) by ChangeColumnType: a new column,
backfilled in batches of 10,000 until no row is left, then swapped in."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.online import ChangeColumnType
from platform_db.migrations.steps import add_sql_steps

ID = "2026-12-07T03:00:26:779338"
VERSION = "1.38.0"
DESCRIPTION = "email_wider"


async def forwards():
    manager = MigrationManager(
        migration_id=ID,
        app_name="backfill_demo",
        description=DESCRIPTION,
        wrap_in_transaction=False,
    )
    add_sql_steps(
        manager,
        ChangeColumnType("public.backfill_demo", "email", "varchar(320)", old_type="varchar(255)"),
    )
    return manager
