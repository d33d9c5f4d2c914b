"""The sync queue as an operator sees it (the admin's queue page): jobs
waiting, running (since when, on which worker), failed (with their run's
error), each (credential, feed)'s next scheduled run, and the workers, live
or stalled. Each function reads on the asyncpg connection it is given, so
a read replica may answer (``admin.read_routing``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from servicetitan.worker.queue import DATA_TYPES, QUEUE, SYNC_TASK
from servicetitan.worker.schedule import ScheduledFeed, schedule
from servicetitan.worker.settings import Settings

# Rows shown per list: the queue holds a few jobs per credential at most.
LIMIT = 500

JOB_SQL = """
SELECT j.id,
       j.status::text AS status,
       j.args ->> 'feed' AS feed,
       j.args ->> 'trigger' AS trigger,
       j.attempts,
       j.scheduled_at,
       c.id AS credential_id,
       c.tenant_id,
       c.environment,
       co.name AS company,
       queued.at AS queued_at,
       started.at AS started_at,
       ended.at AS ended_at,
       w.id AS worker_id,
       w.last_heartbeat,
       h.host,
       h.pid,
       run.id AS sync_log_id,
       run.status AS sync_status,
       run.error_message
FROM public.procrastinate_jobs j
LEFT JOIN public.servicetitan_credentials c ON c.id::text = j.args ->> 'credential_id'
LEFT JOIN public.companies co ON co.id = c.company_id
LEFT JOIN public.procrastinate_workers w ON w.id = j.worker_id
LEFT JOIN public.sync_queue_workers h ON h.worker_id = j.worker_id
LEFT JOIN LATERAL (
    SELECT max(e.at) FILTER (WHERE e.type IN ('deferred', 'deferred_for_retry', 'retried')) AS at
    FROM public.procrastinate_events e WHERE e.job_id = j.id
) queued ON true
LEFT JOIN LATERAL (
    SELECT max(e.at) AS at FROM public.procrastinate_events e
    WHERE e.job_id = j.id AND e.type = 'started'
) started ON true
LEFT JOIN LATERAL (
    SELECT max(e.at) AS at FROM public.procrastinate_events e
    WHERE e.job_id = j.id AND e.type IN ('failed', 'succeeded', 'cancelled', 'aborted')
) ended ON true
LEFT JOIN LATERAL (
    -- the run of this job: its credential and feed's newest log started
    -- while the job ran
    SELECT l.id, l.status, l.error_message
    FROM public.servicetitan_sync_logs l
    WHERE l.servicetitan_credential_id = c.id
      AND l.data_type = coalesce($5::jsonb ->> (j.args ->> 'feed'), j.args ->> 'feed')
      AND started.at IS NOT NULL
      AND l.started_at >= (started.at AT TIME ZONE 'UTC') - interval '1 second'
    ORDER BY l.started_at DESC
    LIMIT 1
) run ON j.status IN ('doing', 'failed')
WHERE j.queue_name = $1
  AND j.task_name = $2
  AND j.status::text = $3
ORDER BY coalesce(ended.at, started.at, j.scheduled_at, queued.at) {order}, j.id
LIMIT $4
"""

WORKERS_SQL = """
SELECT w.id,
       w.last_heartbeat,
       h.host,
       h.pid,
       h.concurrency,
       h.started_at,
       extract(epoch FROM now() - w.last_heartbeat)::float8 AS silent_seconds,
       w.last_heartbeat < now() - make_interval(secs => $1) AS stalled,
       (SELECT count(*) FROM public.procrastinate_jobs j
        WHERE j.worker_id = w.id AND j.status = 'doing') AS running
FROM public.procrastinate_workers w
LEFT JOIN public.sync_queue_workers h ON h.worker_id = w.id
ORDER BY stalled DESC, h.host, w.id
"""


@dataclass(frozen=True)
class QueueOverview:
    waiting: list[dict]
    running: list[dict]
    failed: list[dict]
    workers: list[dict]
    schedule: list[ScheduledFeed]

    @property
    def stalled_workers(self) -> list[dict]:
        return [w for w in self.workers if w["stalled"]]


async def jobs(connection, status: str, newest_first: bool = False) -> list[dict]:
    sql = JOB_SQL.format(order="DESC" if newest_first else "ASC")
    rows = await connection.fetch(sql, QUEUE, SYNC_TASK, status, LIMIT, json.dumps(DATA_TYPES))
    return [dict(row) for row in rows]


async def queue_overview(connection, settings: Settings | None = None) -> QueueOverview:
    settings = settings or Settings.from_environment()
    return QueueOverview(
        waiting=await jobs(connection, "todo"),
        running=await jobs(connection, "doing"),
        failed=await jobs(connection, "failed", newest_first=True),
        workers=[dict(r) for r in await connection.fetch(WORKERS_SQL, settings.stalled_after)],
        schedule=await schedule(connection, settings),
    )
