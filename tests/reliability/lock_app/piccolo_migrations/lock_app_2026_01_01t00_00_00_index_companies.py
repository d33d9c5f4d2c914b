import os

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-01-01T00:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "index_companies"


async def forwards():
    # LOCK_MIGRATION_OUTSIDE_TRANSACTION=1: its step on a session of its own.
    manager = MigrationManager(
        migration_id=ID,
        app_name="lock_app",
        description=DESCRIPTION,
        wrap_in_transaction=os.environ.get("LOCK_MIGRATION_OUTSIDE_TRANSACTION") != "1",
    )
    add_sql_steps(
        manager,
        SqlStep(
            forwards="CREATE INDEX lock_probe_idx ON public.companies (name)",
            backwards="DROP INDEX public.lock_probe_idx",
        ),
    )
    return manager
