"""Jobs of dead workers (SIGKILL, a lost machine): found by their worker's
silence, their sync logs closed, run again elsewhere.

A worker writes a heartbeat every ``SERVICETITAN_WORKER_HEARTBEAT``; one
silent for ``SERVICETITAN_WORKER_STALLED_AFTER`` is taken for dead. At every
tick, a live worker takes each job such a worker was running, closes the
dead run's sync log as ``failed`` (a log is history: never left
``running``), and puts the job back in the queue, where any worker resumes
the feed from the ``continueFrom`` its last committed page stored.

Silence alone does not prove a run dead (a worker on a lost network may
still be syncing). The proof is the tenant's sync lock
(``servicetitan.sync.locks``), which every sync holds, in the queue or not,
and which PostgreSQL releases when the run's connection goes: while it is
held, the job is left for a later tick; once it can be taken, no sync of
the tenant runs anywhere, and each ``running`` log of the tenant whose own
lock is free too is a dead run's (``servicetitan.sync.abandoned``: a load
holds its log's lock, not the tenant's), closed while both are held.
"""

from __future__ import annotations

import logging

from procrastinate.exceptions import ProcrastinateException

from platform_db.database.connection import fetch
from servicetitan.sync import abandoned
from servicetitan.sync.locks import AlreadyRunning, tenant_sync_lock
from servicetitan.tables import ServiceTitanSyncLog
from servicetitan.worker import metrics
from servicetitan.worker.queue import QUEUE, SYNC_TASK, app

DEAD_RUNS_SQL = """
SELECT l.id, c.tenant_id
FROM public.servicetitan_credentials job_credential
JOIN public.servicetitan_credentials c ON c.tenant_id = job_credential.tenant_id
JOIN public.servicetitan_sync_logs l ON l.servicetitan_credential_id = c.id
WHERE job_credential.id = $1::uuid
  AND l.status = 'running'
"""

logger = logging.getLogger(__name__)

WORKER_SQL = """
SELECT w.last_heartbeat, h.host, h.pid
FROM (SELECT $1::bigint AS id) AS given
LEFT JOIN public.procrastinate_workers w ON w.id = given.id
LEFT JOIN public.sync_queue_workers h ON h.worker_id = given.id
"""


async def _who(worker_id: int | None) -> str:
    if worker_id is None:
        return "its worker (forgotten since: no heartbeat for too long)"
    (row,) = await fetch(ServiceTitanSyncLog, WORKER_SQL, worker_id)
    where = f" on {row['host']} (pid {row['pid']})" if row["host"] else ""
    since = row["last_heartbeat"]
    heard = f", last heartbeat {since:%Y-%m-%d %H:%M:%S} UTC" if since else ""
    return f"worker {worker_id}{where}{heard}"


async def close_dead_runs(credential_id: str, worker_id: int | None) -> int:
    """Close as failed every ``running`` log of the credential's tenant whose
    run is gone (``servicetitan.sync.abandoned``), once no sync of the tenant
    runs (``AlreadyRunning`` while one does); how many."""
    rows = await fetch(ServiceTitanSyncLog, DEAD_RUNS_SQL, credential_id)
    if not rows:
        return 0
    who = await _who(worker_id)
    async with tenant_sync_lock(rows[0]["tenant_id"], "the recovery of a stalled job") as lock:
        return await abandoned.close_abandoned(
            lock, f"the recovery of a job of {who}, which stopped answering"
        )


async def recover_stalled_jobs(stalled_after: float) -> int:
    """Run again every job (a sync's, a tick's) of a worker silent for
    ``stalled_after`` seconds, or forgotten; how many."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=stalled_after
    )
    recovered = 0
    for job in stalled:
        if job.task_name == SYNC_TASK:
            try:
                await close_dead_runs(job.task_kwargs["credential_id"], job.worker_id)
            except AlreadyRunning:
                continue  # the tenant is being synced: its run may be alive; next tick
        try:
            await app.job_manager.retry_job(job)
        except ProcrastinateException:
            continue  # retried meanwhile by another worker's tick
        if job.task_name == SYNC_TASK:
            metrics.JOB_RETRIES.labels(feed=job.task_kwargs["feed"], reason="stalled").inc()
        logger.warning(
            "job %s (%s) of a worker silent for %g s or more runs again",
            job.id,
            job.call_string,
            stalled_after,
        )
        recovered += 1
    return recovered
