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
    wait = f"SELECT pg_sleep({seconds})"
    if os.environ.get("SLOW_MIGRATION_GATE") == "1":
        # Until the test puts a row in public.slow_gate (made by the test),
        # however slow the machine: a verdict that waits on the test's word,
        # not on the clock (each pg_sleep sees the newest commit).
        wait = (
            "DO $$ BEGIN WHILE NOT EXISTS (SELECT FROM public.slow_gate) LOOP"
            f" PERFORM pg_sleep(0.05); END LOOP; END $$"
        )
    add_sql_steps(
        manager,
        SqlStep(
            forwards=f"CREATE TABLE slow_probe (id int PRIMARY KEY); {wait}",
            backwards="DROP TABLE slow_probe",
        ),
    )
    return manager
