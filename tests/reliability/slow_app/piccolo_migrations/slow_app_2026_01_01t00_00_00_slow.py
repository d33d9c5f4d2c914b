import os

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-01-01T00:00:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "slow"


async def forwards():
    # SLOW_MIGRATION_OUTSIDE_TRANSACTION=1: as an online migration runs
    # (wrap_in_transaction=False), its step on a session of its own.
    manager = MigrationManager(
        migration_id=ID,
        app_name="slow_app",
        description=DESCRIPTION,
        wrap_in_transaction=os.environ.get("SLOW_MIGRATION_OUTSIDE_TRANSACTION") != "1",
    )
    seconds = float(os.environ.get("SLOW_MIGRATION_SECONDS", "4"))
    add_sql_steps(
        manager,
        SqlStep(
            forwards=f"CREATE TABLE slow_probe (id int PRIMARY KEY); SELECT pg_sleep({seconds})",
            backwards="DROP TABLE slow_probe",
        ),
    )
    return manager
