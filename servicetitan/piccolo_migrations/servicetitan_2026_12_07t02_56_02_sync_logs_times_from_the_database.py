"""A sync log's times are the database's own: it is inserted only
``running``, opened at the database's clock (a ``started_at`` that is not
becomes the database's: Piccolo's ORM sends the host's time as the column
default), never reopened at another time, and closed (completed or failed)
only at the database's clock; a close at any other time is refused. So no
SQL can write a finished history, backdate one or stretch how long a run
took (``processing_time_seconds`` is computed from these two times by the
seed's trigger). ``ServiceTitanSyncLog.start`` / ``complete`` / ``fail``
write exactly that.

"The database's clock" is any time this transaction could have read from
it: from its start (``now()``) to the moment the row is written
(``clock_timestamp()``). A close at the log's own ``started_at`` stays
allowed for a log opened by a host whose clock ran ahead (``_finish`` writes
``greatest(started_at, clock_timestamp())``).

Values the table's CHECK constraints refuse anyway (an unknown status, a
close before the start) are left to them, so their refusals stay as precise
as before. Written for a live table: CREATE TRIGGER takes a SHARE ROW
EXCLUSIVE lock for an instant (no rewrite, no scan), under the deploy's
lock_timeout.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-07T02:56:02:037281"
VERSION = "1.38.0"
DESCRIPTION = "sync_logs_times_from_the_database"

TIMES_FROM_THE_DATABASE = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.servicetitan_sync_logs_times_from_the_database()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    earliest timestamp := transaction_timestamp() AT TIME ZONE 'UTC';
    latest timestamp := clock_timestamp() AT TIME ZONE 'UTC';
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('completed', 'failed') THEN
            RAISE EXCEPTION 'servicetitan_sync_logs: a sync log is inserted running and closed by the run, not inserted %',
                NEW.status
                USING ERRCODE = 'restrict_violation', COLUMN = 'status',
                      HINT = 'ServiceTitanSyncLog.start, then complete() or fail().';
        END IF;
        -- Piccolo's ORM sends the host's time as the column default: any
        -- time that is not the database's becomes the database's.
        IF NEW.started_at NOT BETWEEN earliest AND latest THEN
            NEW.started_at := latest;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.started_at IS DISTINCT FROM OLD.started_at THEN
        RAISE EXCEPTION 'servicetitan_sync_logs: log % keeps the time it was opened (started_at cannot change)',
            OLD.id
            USING ERRCODE = 'restrict_violation', COLUMN = 'started_at';
    END IF;
    IF OLD.status = 'running'
        AND NEW.status IN ('completed', 'failed')
        AND NEW.completed_at >= NEW.started_at
        AND NEW.completed_at NOT BETWEEN earliest AND latest
        AND NOT (NEW.completed_at = NEW.started_at AND NEW.started_at > latest)
    THEN
        RAISE EXCEPTION 'servicetitan_sync_logs: log % is closed at the database''s clock, not at %',
            OLD.id, NEW.completed_at
            USING ERRCODE = 'restrict_violation', COLUMN = 'completed_at',
                  HINT = 'ServiceTitanSyncLog.complete() or fail().';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER servicetitan_sync_logs_times_from_the_database
    BEFORE INSERT OR UPDATE ON public.servicetitan_sync_logs
    FOR EACH ROW
    EXECUTE FUNCTION public.servicetitan_sync_logs_times_from_the_database();
""",
    backwards="""
DROP TRIGGER servicetitan_sync_logs_times_from_the_database ON public.servicetitan_sync_logs;
DROP FUNCTION public.servicetitan_sync_logs_times_from_the_database();
""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)
    add_sql_steps(manager, TIMES_FROM_THE_DATABASE)
    return manager
