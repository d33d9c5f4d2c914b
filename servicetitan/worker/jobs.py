"""The sync job: one run of one feed of one credential, as ``scheduled`` or
``manual``, on whichever worker takes it.

- **One at a time**: the job's lock is its credential's
  (``queue.sync_lock``), so no two runs of a tenant overlap on any worker or
  machine, and ServiceTitan's 60 requests a second per tenant are held by the
  one process syncing it (the API client's limiter); its queueing lock keeps
  one job waiting per credential and feed.
- **Rejected credentials**: a credential in ``error`` (ServiceTitan refused
  its secret) is not synced: its job ends without a run, and no token is asked
  for, until its secret changes or a test connection succeeds.
- **Retries**: a transient failure (the network, ServiceTitan's 5xx and 429
  beyond what the client absorbs, the database going away) runs the job again
  after ``SERVICETITAN_RETRY_BACKOFF`` doubled at each attempt, with jitter,
  up to ``SERVICETITAN_RETRY_ATTEMPTS`` runs; anything else (the secret
  rejected, a page ServiceTitan should never send) fails the job at once,
  and the schedule tries again at the feed's next period.
- **Stopping**: when the worker is told to stop (SIGTERM), the run stops after
  the page in flight has committed (its sync log closed as failed, saying so),
  and the job goes back to the queue at once, for any worker to resume from
  the stored ``continueFrom``.
"""

from __future__ import annotations

import random
import time

from procrastinate import JobContext
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from servicetitan.enums import ConnectionStatus
from servicetitan.tables import ServiceTitanCredential
from servicetitan.worker import metrics
from servicetitan.worker.queue import QUEUE, SYNC_TASK, app
from servicetitan.worker.settings import Settings


class WorkerStopping(Exception):
    """The worker was told to stop: the run ended after its page in flight."""


class SyncRetry(BaseRetryStrategy):
    """When a failed run is run again (see the module's docstring)."""

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        feed = job.task_kwargs.get("feed", "")
        if isinstance(exception, WorkerStopping):
            metrics.JOB_RETRIES.labels(feed=feed, reason="worker_stopped").inc()
            return RetryDecision(retry_in={"seconds": 0})
        settings = Settings.from_environment()
        if not transient(exception) or job.attempts + 1 >= settings.retry_attempts:
            return None
        metrics.JOB_RETRIES.labels(feed=feed, reason="transient").inc()
        wait = settings.retry_backoff * 2**job.attempts
        return RetryDecision(retry_in={"seconds": random.uniform(wait / 2, wait)})


def transient(exc: BaseException) -> bool:
    """Whether running again later may succeed."""
    return isinstance(exc, TRANSIENT)


@app.task(name=SYNC_TASK, queue=QUEUE, pass_context=True, retry=SyncRetry())
async def sync_feed_job(context: JobContext, credential_id: str, feed: str, trigger: str):
    credential = (
        await ServiceTitanCredential.objects()
        .where(ServiceTitanCredential.id == credential_id)
        .first()
    )
    if credential is None or credential.tenant_id is None:
        metrics.SYNC_RUNS.labels(feed=feed, outcome="skipped").inc()
        return "skipped: the credential is gone or has no tenant id"
    if credential.connection_status == ConnectionStatus.error.value:
        metrics.SYNC_RUNS.labels(feed=feed, outcome="skipped").inc()
        return "skipped: ServiceTitan rejected this credential's secret"
    stopping = context.additional_context.get("stopping")
    started = time.monotonic()
    try:
        log = await run_feed(credential, feed, trigger, stopping)
    except BaseException as exc:
        outcome = "stopped" if isinstance(exc, WorkerStopping) else "failed"
        metrics.SYNC_RUNS.labels(feed=feed, outcome=outcome).inc()
        metrics.DURATION.labels(feed=feed).observe(time.monotonic() - started)
        raise
    metrics.record_run(feed, log, time.monotonic() - started)
    return f"sync log {log.id}: {log.status}"
