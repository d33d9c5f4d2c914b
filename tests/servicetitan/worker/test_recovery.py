"""A worker that stopped answering (its heartbeat old, as after SIGKILL or a
lost machine): its job runs again, its run's sync log is closed as failed
and never left ``running``; a live worker's job and a run started after the
dead worker's last heartbeat are left alone. (The whole journey, a worker
process killed mid-sync, is tests/servicetitan/worker/test_two_workers.py.)"""

from __future__ import annotations

from servicetitan.tables import ServiceTitanSyncLog
from servicetitan.worker.queue import queue_sync
from servicetitan.worker.recovery import recover_stalled_jobs


async def _worker(queue, conn, host: str, silent_for: float) -> int:
    worker = await queue.job_manager.register_worker()
    await conn.execute(
        "UPDATE procrastinate_workers SET last_heartbeat = now() - make_interval(secs => $2)"
        " WHERE id = $1",
        worker,
        silent_for,
    )
    await conn.execute(
        "INSERT INTO servicetitan_queue_workers (worker_id, host, pid, concurrency)"
        " VALUES ($1, $2, 4242, 2)",
        worker,
        host,
    )
    return worker


async def test_the_dead_workers_job_runs_again_and_its_log_is_closed(
    queue, conn, queued_jobs, credential, company, tenant
):
    from servicetitan.tables import ServiceTitanCredential

    other = await ServiceTitanCredential.register(
        company.id, "production", "client-live", "cs-live", tenant_id=tenant
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
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET started_at = started_at - interval '5 minutes'"
            " WHERE id = $1",
            dead_run.id,
        )
        later_run = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
        live_run = await ServiceTitanSyncLog.start(other.id, "scheduled", "jobs")

        assert await recover_stalled_jobs(stalled_after=30) == 1

        logs = {
            row["id"]: row
            for row in await conn.fetch(
                "SELECT id, status, error_message FROM servicetitan_sync_logs"
                " WHERE id = ANY($1::uuid[])",
                [dead_run.id, later_run.id, live_run.id],
            )
        }
        assert logs[dead_run.id]["status"] == "failed"
        message = logs[dead_run.id]["error_message"]
        assert f"worker {dead} on host-a (pid 4242) stopped answering" in message
        assert "runs again from the stored continueFrom" in message
        assert logs[later_run.id]["status"] == logs[live_run.id]["status"] == "running"
        jobs = dict(
            await conn.fetch(
                "SELECT id, status::text FROM procrastinate_jobs WHERE id = ANY($1::bigint[])",
                [dead_job, live_job],
            )
        )
        assert jobs == {dead_job: "todo", live_job: "doing"}
        # taken again, by the live worker
        assert (await queue.job_manager.fetch_job(None, live)).id == dead_job
    finally:
        for worker in (dead, live):
            await queue.job_manager.unregister_worker(worker)
