"""One migration's ``forwards`` from SQL steps, for the lint's test apps."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps


def migration(app: str, migration_id: str, description: str, *steps, transaction: bool = True):
    steps = [SqlStep(*s) if isinstance(s, tuple) else s for s in steps]

    async def forwards():
        manager = MigrationManager(
            migration_id=migration_id,
            app_name=app,
            description=description,
            wrap_in_transaction=transaction,
        )
        add_sql_steps(manager, *steps)
        return manager

    return forwards
