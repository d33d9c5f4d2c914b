"""The sync job's retries (a transient failure again after a doubling,
jittered backoff, a bounded number of times; a rejected secret or a 4xx
never; a stop at once) and the hourly purge of finished jobs (old ones
go, with their events; waiting ones stay)."""

from __future__ import annotations

import time

import pytest
from procrastinate.jobs import Job, Status

from servicetitan.api.errors import ApiError, CredentialsRejected, MalformedAnswer, Unreachable
from servicetitan.sync.locks import AlreadyRunning
from servicetitan.worker.jobs import SyncRetry, WorkerStopping
from servicetitan.worker.periodic import purge_finished_jobs
from servicetitan.worker.queue import queue_sync


def job(attempts: int) -> Job:
    return Job(
        id=1,
        queue="servicetitan",
        lock=None,
        queueing_lock=None,
        task_name="t",
        task_kwargs={"feed": "jobs"},
        attempts=attempts,
    )


@pytest.fixture
def backoff(monkeypatch):
    monkeypatch.setenv("SERVICETITAN_RETRY_BACKOFF", "10")
    monkeypatch.setenv("SERVICETITAN_RETRY_ATTEMPTS", "4")


@pytest.mark.parametrize(
    "failure",
    [
        Unreachable("no answer in time"),
        ApiError("GET", "/jpm/v2/tenant/1/export/jobs", 503, "Service Unavailable"),
        ApiError("GET", "/jpm/v2/tenant/1/export/jobs", 429, "Rate limit is exceeded"),
        AlreadyRunning("tenant 1 is being synced by another run"),
        ConnectionResetError("the database went away"),
    ],
)
def test_a_transient_failure_runs_again_after_a_doubling_jittered_wait(backoff, failure):
    for attempts, wait in ((0, 10), (1, 20), (2, 40)):
        decision = SyncRetry().get_retry_decision(exception=failure, job=job(attempts))
        seconds = decision.retry_at.timestamp() - time.time()
        assert wait / 2 - 1 <= seconds <= wait + 1, (attempts, seconds)
    # the fourth run was the last
    assert SyncRetry().get_retry_decision(exception=failure, job=job(3)) is None


@pytest.mark.parametrize(
    "failure",
    [
        CredentialsRejected("ServiceTitan refused the client id and its secret"),
        ApiError("GET", "/jpm/v2/tenant/1/export/jobs", 404, "Not Found"),
        MalformedAnswer("page 3 of the jobs export feed: not JSON"),
        ValueError("a bug"),
    ],
)
def test_a_failure_retrying_cannot_mend_is_not_retried(backoff, failure):
    assert SyncRetry().get_retry_decision(exception=failure, job=job(0)) is None


def test_a_run_stopped_by_the_worker_goes_back_at_once(backoff):
    decision = SyncRetry().get_retry_decision(exception=WorkerStopping(), job=job(3))
    assert abs(decision.retry_at.timestamp() - time.time()) < 1


async def test_finished_jobs_older_than_kept_are_purged_with_their_events(
    queue, conn, queued_jobs, credential, monkeypatch
):
    queued_jobs.append(credential.id)
    old = await queue_sync(credential.id, "jobs", "scheduled")
    recent = await queue_sync(credential.id, "customers", "scheduled")
    waiting = await queue_sync(credential.id, "technicians", "scheduled")
    for finished in (old, recent):
        await conn.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = $1", finished)
        await queue.job_manager.finish_job_by_id_async(finished, Status.SUCCEEDED, False)
    await conn.execute(
        "UPDATE procrastinate_events SET at = at - interval '8 days' WHERE job_id = $1", old
    )
    monkeypatch.setenv("SERVICETITAN_JOBS_KEPT", "7d")
    await purge_finished_jobs(timestamp=0)
    left = {r["id"] for r in await conn.fetch("SELECT id FROM procrastinate_jobs")}
    assert old not in left and {recent, waiting} <= left
    assert not await conn.fetchval(
        "SELECT count(*) FROM procrastinate_events WHERE job_id = $1", old
    )
