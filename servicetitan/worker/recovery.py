"""Jobs of dead workers (SIGKILL, a lost machine): found by their worker's
silence, their sync logs closed, run again elsewhere.

A worker writes a heartbeat every ``SERVICETITAN_WORKER_HEARTBEAT``; one
silent for ``SERVICETITAN_WORKER_STALLED_AFTER`` is dead. At every tick, a
live worker takes each job such a worker was running, closes that run's
sync log as ``failed`` (a log is history: never left ``running``), and puts
the job back in the queue, where any worker resumes the feed from the
``continueFrom`` its last committed page stored.

Which log was the dead run's: the ``running`` log of the job's credential and
feed that started before the worker's last heartbeat. The job's lock kept
every other queued run of the credential away, and a sync outside the queue
takes the tenant's lock in the sync itself, so it cannot have started
beside it.
"""

from __future__ import annotations

from platform_db.database.connection import fetch
from servicetitan.tables import ServiceTitanSyncLog, SyncLogNotRunning
from servicetitan.worker import metrics
from servicetitan.worker.queue import QUEUE, SYNC_TASK, app, data_type

DEAD_RUNS_SQL = """
SELECT l.id,
       w.last_heartbeat,
       h.host,
       h.pid
FROM public.servicetitan_sync_logs l
LEFT JOIN public.procrastinate_workers w ON w.id = $3
LEFT JOIN public.servicetitan_queue_workers h ON h.worker_id = $3
WHERE l.servicetitan_credential_id = $1::uuid
  AND l.data_type = $2
  AND l.status = 'running'
  AND l.started_at <= coalesce(w.last_heartbeat, now()) AT TIME ZONE 'UTC'
"""


async def close_dead_runs(credential_id: str, feed: str, worker_id: int | None) -> int:
    """Close the dead run's sync logs as failed; how many."""
    rows = await fetch(
        ServiceTitanSyncLog, DEAD_RUNS_SQL, credential_id, data_type(feed), worker_id
    )
    closed = 0
    for row in rows:
        where = f"{row['host']} (pid {row['pid']})" if row["host"] else "a worker"
        since = row["last_heartbeat"]
        message = (
            f"worker {worker_id} on {where} stopped answering"
            + (f" (last heartbeat {since:%Y-%m-%d %H:%M:%S} UTC)" if since else "")
            + ": the pages it committed stay cached, and the job runs again from the "
            "stored continueFrom; this run's counts are unknown"
        )
        log = await ServiceTitanSyncLog.objects().get(ServiceTitanSyncLog.id == row["id"])
        try:
            await log.fail(message, {"worker_id": worker_id, "reason": "worker_stalled"})
        except SyncLogNotRunning:
            continue  # closed meanwhile, by its run or by another worker's tick
        closed += 1
    return closed


async def recover_stalled_jobs(stalled_after: float) -> int:
    """Run again every sync job of a worker silent for ``stalled_after``
    seconds; how many."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, task_name=SYNC_TASK, seconds_since_heartbeat=stalled_after
    )
    for job in stalled:
        feed = job.task_kwargs["feed"]
        await close_dead_runs(job.task_kwargs["credential_id"], feed, job.worker_id)
        await app.job_manager.retry_job(job)
        metrics.JOB_RETRIES.labels(feed=feed, reason="stalled").inc()
    return len(stalled)
