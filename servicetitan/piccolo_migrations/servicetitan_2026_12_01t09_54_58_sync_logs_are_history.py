"""Sync logs are history: once a log is completed or failed, no UPDATE
changes it and no DELETE removes it, whoever sends the SQL (the admin
included). A running log still moves to completed / failed through
``ServiceTitanSyncLog.complete`` / ``fail``; a log goes away only with its
credential (the seed's ON DELETE CASCADE), never on its own.

Written for a live table: CREATE TRIGGER takes a SHARE ROW EXCLUSIVE lock
for an instant (no rewrite, no scan), under the deploy's lock_timeout.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T09:54:58:081410"
VERSION = "1.38.0"
DESCRIPTION = "sync_logs_are_history"

KEEP_HISTORY = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.servicetitan_sync_logs_keep_history()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    kept text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'servicetitan_sync_logs is history: TRUNCATE is not allowed'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status <> 'running' THEN
            RAISE EXCEPTION 'servicetitan_sync_logs: log % is %: a finished sync log is history and cannot be changed',
                OLD.id, OLD.status
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Only a running log changes, to completed or failed.';
        END IF;
        -- One refusal per column, naming it (COLUMN), as PostgreSQL's own do.
        FOREACH kept IN ARRAY ARRAY['id', 'servicetitan_credential_id', 'sync_type', 'data_type']
        LOOP
            IF to_jsonb(NEW) -> kept IS DISTINCT FROM to_jsonb(OLD) -> kept THEN
                RAISE EXCEPTION 'servicetitan_sync_logs: log % keeps its id, credential, sync type and data type (% cannot change)',
                    OLD.id, kept
                    USING ERRCODE = 'restrict_violation', COLUMN = kept;
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;
    -- DELETE: the cascade from a deleted credential runs after that
    -- credential's row is gone; any other DELETE finds it still there.
    IF EXISTS (
        SELECT 1 FROM public.servicetitan_credentials WHERE id = OLD.servicetitan_credential_id
    ) THEN
        RAISE EXCEPTION 'servicetitan_sync_logs: log % is history and cannot be deleted (it goes only with its credential)',
            OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER servicetitan_sync_logs_keep_history
    BEFORE UPDATE OR DELETE ON public.servicetitan_sync_logs
    FOR EACH ROW
    EXECUTE FUNCTION public.servicetitan_sync_logs_keep_history();

CREATE TRIGGER servicetitan_sync_logs_no_truncate
    BEFORE TRUNCATE ON public.servicetitan_sync_logs
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.servicetitan_sync_logs_keep_history();
""",
    backwards="""
DROP TRIGGER servicetitan_sync_logs_no_truncate ON public.servicetitan_sync_logs;
DROP TRIGGER servicetitan_sync_logs_keep_history ON public.servicetitan_sync_logs;
DROP FUNCTION public.servicetitan_sync_logs_keep_history();
""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)
    add_sql_steps(manager, KEEP_HISTORY)
    return manager
