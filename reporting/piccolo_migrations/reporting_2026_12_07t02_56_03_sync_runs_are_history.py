"""``sync_runs`` is a sync history, kept as the ServiceTitan sync logs are
(``servicetitan sync_logs_are_history`` and
``sync_logs_times_from_the_database``), whoever sends the SQL (the admin
included):

- a run is inserted ``running``, started at the database's clock (any time
  this transaction could have read from it, ``now()`` to
  ``clock_timestamp()``; another ``started_at``, as Piccolo's ORM sends the
  host's time as the default, becomes the database's), and finished
  (completed or failed) only at the database's clock: another time is
  refused;
- a finished run never changes; a running one keeps its id, tenant and
  start;
- no run is deleted on its own (it goes only with its tenant, the seed's ON
  DELETE CASCADE), and TRUNCATE is refused.

Values the CHECK constraints refuse anyway (an unknown status, a finish
before the start) are left to them. Written for a live table: CREATE
TRIGGER takes a SHARE ROW EXCLUSIVE lock for an instant (no rewrite, no
scan), under the deploy's lock_timeout.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-07T02:56:03:548195"
VERSION = "1.38.0"
DESCRIPTION = "sync_runs_are_history"

SYNC_RUNS_ARE_HISTORY = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.sync_runs_are_history()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    earliest timestamptz := transaction_timestamp();
    latest timestamptz := clock_timestamp();
    kept text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'sync_runs is history: TRUNCATE is not allowed'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        -- The cascade from a deleted tenant runs after the tenant's row is gone.
        IF EXISTS (SELECT 1 FROM public.tenants WHERE id = OLD.tenant_id) THEN
            RAISE EXCEPTION 'sync_runs: run % is history and cannot be deleted (it goes only with its tenant)',
                OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('completed', 'failed') THEN
            RAISE EXCEPTION 'sync_runs: a run is inserted running and finished by the run, not inserted %',
                NEW.status
                USING ERRCODE = 'restrict_violation', COLUMN = 'status';
        END IF;
        -- Piccolo's ORM sends the host's time as the column default: any
        -- time that is not the database's becomes the database's.
        IF NEW.started_at NOT BETWEEN earliest AND latest THEN
            NEW.started_at := latest;
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'running' THEN
        RAISE EXCEPTION 'sync_runs: run % is %: a finished run is history and cannot be changed',
            OLD.id, OLD.status
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Only a running run changes, to completed or failed.';
    END IF;
    FOREACH kept IN ARRAY ARRAY['id', 'tenant_id', 'started_at']
    LOOP
        IF to_jsonb(NEW) -> kept IS DISTINCT FROM to_jsonb(OLD) -> kept THEN
            RAISE EXCEPTION 'sync_runs: run % keeps its id, tenant and start (% cannot change)',
                OLD.id, kept
                USING ERRCODE = 'restrict_violation', COLUMN = kept;
        END IF;
    END LOOP;
    IF NEW.status IN ('completed', 'failed')
        AND NEW.finished_at >= NEW.started_at
        AND NEW.finished_at NOT BETWEEN earliest AND latest
    THEN
        RAISE EXCEPTION 'sync_runs: run % is finished at the database''s clock, not at %',
            OLD.id, NEW.finished_at
            USING ERRCODE = 'restrict_violation', COLUMN = 'finished_at';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER sync_runs_are_history
    BEFORE INSERT OR UPDATE OR DELETE ON public.sync_runs
    FOR EACH ROW
    EXECUTE FUNCTION public.sync_runs_are_history();

CREATE TRIGGER sync_runs_no_truncate
    BEFORE TRUNCATE ON public.sync_runs
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.sync_runs_are_history();
""",
    backwards="""
DROP TRIGGER sync_runs_no_truncate ON public.sync_runs;
DROP TRIGGER sync_runs_are_history ON public.sync_runs;
DROP FUNCTION public.sync_runs_are_history();
""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reporting", description=DESCRIPTION)
    add_sql_steps(manager, SYNC_RUNS_ARE_HISTORY)
    return manager
