"""``servicetitan_credential_overview``: one row per credential with what an
operator asks of it, derived by the database so that every reader (the
admin, psql) gets the same answer:

- ``token_state``: ``none`` (no access token), ``expired``, ``expiring``
  (within the hour), ``valid``, or ``unknown`` (a token without an expiry);
- ``client_secret_set`` / ``access_token_set`` / ``refresh_token_set``:
  whether a secret is stored, never the secret (nor its ciphertext);
- the last sync (by ``started_at``): its id, status, start, end and error;
- ``failing``: the credential is in ``error`` or its last sync failed.

TIMESTAMP columns hold UTC, so "now" is ``now() AT TIME ZONE 'UTC'``.
A view: no data, no lock beyond an instant on the catalog.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T09:55:49:203398"
VERSION = "1.38.0"
DESCRIPTION = "credential_overview"

OVERVIEW = SqlStep(
    forwards="""
CREATE VIEW public.servicetitan_credential_overview AS
SELECT c.id,
       c.company_id,
       co.name AS company_name,
       c.environment,
       c.client_id,
       c.tenant_id,
       c.connection_status,
       c.client_secret IS NOT NULL AS client_secret_set,
       c.access_token IS NOT NULL AS access_token_set,
       c.refresh_token IS NOT NULL AS refresh_token_set,
       c.token_expires_at,
       CASE
           WHEN c.access_token IS NULL THEN 'none'
           WHEN c.token_expires_at IS NULL THEN 'unknown'
           WHEN c.token_expires_at <= now() AT TIME ZONE 'UTC' THEN 'expired'
           WHEN c.token_expires_at <= now() AT TIME ZONE 'UTC' + interval '1 hour' THEN 'expiring'
           ELSE 'valid'
       END AS token_state,
       c.last_connection_attempt,
       c.created_at,
       c.updated_at,
       last_sync.id AS last_sync_id,
       last_sync.status AS last_sync_status,
       last_sync.started_at AS last_sync_started_at,
       last_sync.completed_at AS last_sync_completed_at,
       last_sync.error_message AS last_sync_error,
       c.connection_status = 'error' OR coalesce(last_sync.status = 'failed', false) AS failing
FROM public.servicetitan_credentials c
JOIN public.companies co ON co.id = c.company_id
LEFT JOIN LATERAL (
    SELECT l.id, l.status, l.started_at, l.completed_at, l.error_message
    FROM public.servicetitan_sync_logs l
    WHERE l.servicetitan_credential_id = c.id
    ORDER BY l.started_at DESC
    LIMIT 1
) last_sync ON true;
""",
    backwards="DROP VIEW public.servicetitan_credential_overview;",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)
    add_sql_steps(manager, OVERVIEW)
    return manager
