"""A worker that stopped answering (its heartbeat old, as after SIGKILL or a
lost machine): once no sync of its tenant runs (the tenant's sync lock can
be taken), its job runs again and its run's sync log is closed as failed,
never left ``running``; while a sync of the tenant still runs, nothing is
touched; a live worker's job is left alone. (The whole journey, a worker
process killed mid-sync, is test_two_workers.py.)"""

from __future__ import annotations

import asyncio

from servicetitan.sync.locks import tenant_sync_lock
from servicetitan.tables import ServiceTitanSyncLog
from servicetitan.worker.queue import queue_sync
from servicetitan.worker.recovery import recover_stalled_jobs
from tests.servicetitan.records import new_tenant


async def _worker(queue, conn, host: str, silent_for: float) -> int:
    worker = await queue.job_manager.register_worker()
    await conn.execute(
        "UPDATE procrastinate_workers SET last_heartbeat = now() - make_interval(secs => $2)"
        " WHERE id = $1",
        worker,
        silent_for,
    )
    await conn.execute(
        "INSERT INTO sync_queue_workers (worker_id, host, pid, concurrency)"
        " VALUES ($1, $2, 4242, 2)",
        worker,
        host,
    )
    return worker


async def _statuses(conn, *logs) -> list[str]:
    rows = dict(
        await conn.fetch(
            "SELECT id, status FROM servicetitan_sync_logs WHERE id = ANY($1::uuid[])",
            [log.id for log in logs],
        )
    )
    return [rows[log.id] for log in logs]


async def test_a_dead_workers_job_runs_again_once_its_tenant_is_free(
    queue, conn, queued_jobs, credential, company
):
    from servicetitan.tables import ServiceTitanCredential

    other = await ServiceTitanCredential.register(
        company.id, "production", "client-live", "cs-live", tenant_id=new_tenant()
    )
    queued_jobs.extend([credential.id, other.id])
    dead = await _worker(queue, conn, "host-a", silent_for=120)
    live = await _worker(queue, conn, "host-b", silent_for=0)
    try:
        dead_job = await queue_sync(credential.id, "jobs", "scheduled")
        live_job = await queue_sync(other.id, "jobs", "scheduled")
        assert (await queue.job_manager.fetch_job(None, dead)).id == dead_job
        assert (await queue.job_manager.fetch_job(None, live)).id == live_job
        dead_run = await ServiceTitanSyncLog.start(credential.id, "scheduled", "jobs")
        live_run = await ServiceTitanSyncLog.start(other.id, "scheduled", "jobs")

        # a sync of the tenant still holds its lock: the run may be alive
        holding, release = asyncio.Event(), asyncio.Event()

        async def live_sync():
            async with tenant_sync_lock(credential.tenant_id, "jobs"):
                holding.set()
                await release.wait()

        sync = asyncio.create_task(live_sync())
        await holding.wait()
        assert await recover_stalled_jobs(stalled_after=30) == 0
        assert await _statuses(conn, dead_run, live_run) == ["running", "running"]
        release.set()
        await sync

        assert await recover_stalled_jobs(stalled_after=30) == 1
        assert await _statuses(conn, dead_run, live_run) == ["failed", "running"]
        message = await conn.fetchval(
            "SELECT error_message FROM servicetitan_sync_logs WHERE id = $1", dead_run.id
        )
        assert f"worker {dead} on host-a (pid 4242), last heartbeat " in message
        assert "stopped answering" in message and "from the stored continueFrom" in message
        jobs = dict(
            await conn.fetch(
                "SELECT id, status::text FROM procrastinate_jobs WHERE id = ANY($1::bigint[])",
                [dead_job, live_job],
            )
        )
        assert jobs == {dead_job: "todo", live_job: "doing"}
        # taken again, by the live worker
        assert (await queue.job_manager.fetch_job(None, live)).id == dead_job
        await live_run.complete(0, 0, 0)
    finally:
        for worker in (dead, live):
            await queue.job_manager.unregister_worker(worker)
