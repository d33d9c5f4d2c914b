import os

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps, execute

ID = "2026-01-01T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "half_way"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fault_app", description=DESCRIPTION)
    add_sql_steps(
        manager,
        SqlStep(
            forwards="CREATE TABLE fault_probe (id int PRIMARY KEY)",
            backwards="DROP TABLE fault_probe",
        ),
    )

    async def second_step():
        await execute("INSERT INTO fault_probe VALUES (1)")
        if os.environ.get("FAULT_FIXED") != "1":
            raise RuntimeError("deliberate failure in the second raw step")

    manager.add_raw(second_step)
    return manager
