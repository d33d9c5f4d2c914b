from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-01-01T00:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "index_companies"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lock_app", description=DESCRIPTION)
    add_sql_steps(
        manager,
        SqlStep(
            forwards="CREATE INDEX lock_probe_idx ON public.companies (name)",
            backwards="DROP INDEX public.lock_probe_idx",
        ),
    )
    return manager
