"""The ``raw`` schema that holds the ServiceTitan cache (seed 001).

Piccolo's auto migration for a table in a non-public schema emits
``CREATE SCHEMA IF NOT EXISTS`` but never drops the schema, so the schema
gets a migration of its own whose backwards step removes it: ``backwards``
then leaves nothing behind.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T04:51:12:381838"
VERSION = "1.38.0"
DESCRIPTION = "raw_schema"

RAW_SCHEMA = SqlStep(
    forwards="CREATE SCHEMA raw;",
    # No CASCADE: the later migrations remove their own tables first, and a
    # stray object in the schema should stop the rollback, not vanish.
    backwards="DROP SCHEMA raw;",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )
    add_sql_steps(manager, RAW_SCHEMA)
    return manager
