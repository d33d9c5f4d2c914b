"""``sync_queue_workers``: where each live worker of the sync queue
runs (host, process id, concurrency), beside procrastinate's own
``procrastinate_workers`` (an id and a heartbeat), so that the admin can say
on which machine a job runs and which worker stopped answering. A row goes
with its worker's (``ON DELETE CASCADE``): when the worker stops, or is
pruned after it died. A new, empty table: nothing waits on it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-07T03:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync_queue_worker_hosts"

WORKER_HOSTS = SqlStep(
    forwards="""
CREATE TABLE public.sync_queue_workers (
    worker_id bigint PRIMARY KEY
        CONSTRAINT sync_queue_workers_worker_id_fkey
        REFERENCES public.procrastinate_workers (id) ON DELETE CASCADE,
    host text NOT NULL,
    pid integer NOT NULL,
    concurrency integer NOT NULL,
    started_at timestamp with time zone NOT NULL DEFAULT now()
);
""",
    backwards="DROP TABLE public.sync_queue_workers;",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)
    add_sql_steps(manager, WORKER_HOSTS)
    return manager
