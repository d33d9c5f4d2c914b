"""procrastinate's locks as the queue uses them, against the database: one
run of a credential at a time whatever the feed, across workers (each
``fetch_job`` below is what a worker does to take a job), and one job
waiting per credential and feed."""

from __future__ import annotations

from procrastinate.jobs import Status

from servicetitan.worker.queue import queue_sync


async def fetch(queue, worker_id):
    return await queue.job_manager.fetch_job(queues=None, worker_id=worker_id)


async def test_one_run_of_a_credential_at_a_time_across_workers(
    queue, queued_jobs, credential, company, tenant
):
    from servicetitan.tables import ServiceTitanCredential

    other = await ServiceTitanCredential.register(
        company.id, "production", "client-other", "cs-other", tenant_id=tenant
    )
    queued_jobs.extend([credential.id, other.id])
    first = await queue_sync(credential.id, "jobs", "scheduled")
    second = await queue_sync(credential.id, "customers", "scheduled")
    third = await queue_sync(other.id, "jobs", "scheduled")
    assert None not in (first, second, third)
    one = await queue.job_manager.register_worker()
    two = await queue.job_manager.register_worker()
    try:
        taken = {(await fetch(queue, one)).id, (await fetch(queue, two)).id}
        # the credential's second feed waits for its first; the other credential runs beside
        assert taken == {first, third}
        assert await fetch(queue, two) is None
        await queue.job_manager.finish_job_by_id_async(first, Status.SUCCEEDED, delete_job=False)
        assert (await fetch(queue, two)).id == second
    finally:
        for worker in (one, two):
            await queue.job_manager.unregister_worker(worker)


async def test_a_feed_waits_once_and_can_be_queued_again_while_it_runs(
    queue, queued_jobs, credential
):
    queued_jobs.append(credential.id)
    first = await queue_sync(credential.id, "jobs", "scheduled")
    assert await queue_sync(credential.id, "jobs", "manual") is None
    worker = await queue.job_manager.register_worker()
    try:
        assert (await fetch(queue, worker)).id == first
        # running: one more may wait behind it (a change made meanwhile is synced after)
        again = await queue_sync(credential.id, "jobs", "manual")
        assert again is not None
        assert await fetch(queue, worker) is None
    finally:
        await queue.job_manager.unregister_worker(worker)
