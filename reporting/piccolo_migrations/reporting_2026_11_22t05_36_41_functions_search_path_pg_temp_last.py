"""The reporting app's functions run with ``search_path = pg_catalog,
public, pg_temp``: the caller's temporary schema, searched first for tables
when the path does not name it, is searched last (as in the business app's
migration of the same name)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import add_sql_steps, search_path_step

ID = "2026-11-22T05:36:41:474371"
VERSION = "1.38.0"
DESCRIPTION = "functions_search_path_pg_temp_last"

FUNCTIONS = [
    "public.audit_log_refuse_change()",
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="reporting", description=DESCRIPTION
    )
    add_sql_steps(
        manager,
        search_path_step(
            FUNCTIONS,
            search_path="pg_catalog, public, pg_temp",
            previous="pg_catalog, public",
        ),
    )
    return manager
