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

import asyncio
import random
import time
from datetime import timedelta

import asyncpg
from procrastinate import JobContext
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from servicetitan.api.errors import ApiError, Unreachable
from servicetitan.enums import ConnectionStatus
from servicetitan.sync.feeds import CaughtUp, sync_feed
from servicetitan.sync.locks import AlreadyRunning
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
from servicetitan.worker import metrics
from servicetitan.worker.queue import QUEUE, SYNC_TASK, app
from servicetitan.worker.settings import Settings

# Running again later may succeed: ServiceTitan unreachable or answering
# 5xx / 429 beyond the client's own retries, another sync of the tenant
# (outside the queue) holding its lock, the database going away.
TRANSIENT = (
    Unreachable,
    AlreadyRunning,
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,
)


class WorkerStopping(Exception):
    """The worker was told to stop: the run ended after its page in flight."""

    def __init__(self):
        super().__init__(
            "stopped: the worker was told to stop, after this page; the job is back in the "
            "queue and the feed resumes from its stored continueFrom"
        )


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
    if isinstance(exc, ApiError):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, TRANSIENT)


async def run_feed(
    credential: ServiceTitanCredential, feed: str, trigger: str, stopping: asyncio.Event | None
) -> ServiceTitanSyncLog:
    """One logged run of ``feed``, incremental from where it stands; stopped
    after a committed page once ``stopping`` is set."""

    def on_page(name, page, result) -> None:
        if stopping is not None and stopping.is_set():
            raise WorkerStopping()

    settings = Settings.from_environment()
    return await sync_feed(
        credential,
        feed,
        sync_type=trigger,
        on_page=on_page,
        caught_up_pause=timedelta(seconds=settings.caught_up_rest),
    )


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
    await metrics.observe_start(context.job, trigger)
    started = time.monotonic()
    try:
        log = await run_feed(credential, feed, trigger, stopping)
    except CaughtUp as exc:
        metrics.SYNC_RUNS.labels(feed=feed, outcome="skipped").inc()
        return f"skipped: {exc}"
    except BaseException as exc:
        outcome = "stopped" if isinstance(exc, WorkerStopping) else "failed"
        metrics.SYNC_RUNS.labels(feed=feed, outcome=outcome).inc()
        metrics.DURATION.labels(feed=feed).observe(time.monotonic() - started)
        raise
    metrics.record_run(feed, log, time.monotonic() - started)
    return f"sync log {log.id}: {log.status}"
