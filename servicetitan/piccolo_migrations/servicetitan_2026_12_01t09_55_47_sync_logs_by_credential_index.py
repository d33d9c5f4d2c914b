"""One credential's sync logs, newest first: what the admin's credential
pages and the credentials overview (its last sync per credential) read.
The seed's index on the credential alone makes such a read fetch and sort
every log of the credential.

Built CONCURRENTLY (no lock that stops the syncs' writes), so this
migration runs outside a transaction, one statement per step.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T09:55:47:417376"
VERSION = "1.38.0"
DESCRIPTION = "sync_logs_by_credential_index"

INDEX = SqlStep(
    forwards="""
CREATE INDEX CONCURRENTLY idx_servicetitan_sync_logs_credential_started
    ON public.servicetitan_sync_logs (servicetitan_credential_id, started_at DESC);
""",
    backwards="DROP INDEX CONCURRENTLY public.idx_servicetitan_sync_logs_credential_started;",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID,
        app_name="servicetitan",
        description=DESCRIPTION,
        wrap_in_transaction=False,
    )
    add_sql_steps(manager, INDEX)
    return manager
