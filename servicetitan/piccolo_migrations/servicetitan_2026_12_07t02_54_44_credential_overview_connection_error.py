"""``servicetitan_credential_overview`` shows ``connection_error``: why the
credential's last connection attempt failed, where the admin and psql read
a credential's state. Added as the view's last column (``CREATE OR REPLACE
VIEW`` can only add columns at the end); backwards drops the view and
creates it again as ``credential_overview`` made it. A view: no data, no
lock beyond an instant on the catalog.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps
from servicetitan.piccolo_migrations.servicetitan_2026_12_01t09_55_49_credential_overview import (
    OVERVIEW,
)

ID = "2026-12-07T02:54:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "credential_overview_connection_error"

LAST_COLUMN = (
    "c.connection_status = 'error' OR coalesce(last_sync.status = 'failed', false) AS failing\n"
)

WITH_CONNECTION_ERROR = SqlStep(
    forwards=OVERVIEW.forwards.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1).replace(
        LAST_COLUMN, LAST_COLUMN.rstrip("\n") + ",\n       c.connection_error\n", 1
    ),
    backwards="DROP VIEW public.servicetitan_credential_overview;\n" + OVERVIEW.forwards,
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)
    add_sql_steps(manager, WITH_CONNECTION_ERROR)
    return manager
