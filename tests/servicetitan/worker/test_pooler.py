"""The queue behind PgBouncer in transaction mode (tests/support/pgbouncer.py):
its statements pass the pooler, and a worker can tell that ``LISTEN`` would not reach the
server for good through it (then it polls), while ``DATABASE_DIRECT_URL``
does."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from procrastinate.jobs import Status

from platform_db.database.urls import database_name
from servicetitan.worker.queue import app, listens, queue_sync, queue_url
from servicetitan.worker.settings import FEEDS
from tests.conftest import SERVER_URL, TEST_DATABASE_URL
from tests.support.pgbouncer import PGBOUNCER, start_pgbouncer


@pytest.fixture(scope="module")
async def pgbouncer(migrated):
    if PGBOUNCER is None:
        message = (
            "no pgbouncer: scripts/test installs Debian's `pgbouncer` package when run as root"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    bouncer = await start_pgbouncer(SERVER_URL)
    yield bouncer
    bouncer.stop()


async def test_the_queue_through_the_pooler_and_listen_on_the_direct_url(
    pgbouncer, queued_jobs, credential
):
    pooled = pgbouncer.url(database_name(TEST_DATABASE_URL))
    queued_jobs.append(credential.id)
    with mock.patch.dict(os.environ, {"DATABASE_URL": pooled, "DATABASE_DIRECT_URL": ""}):
        assert queue_url() == pooled
        assert not await listens()
        await app.close_async()  # the fixture's, on the direct address
        async with app.open_async():
            worker = await app.job_manager.register_worker()
            for feed in FEEDS * 4:
                assert await queue_sync(credential.id, feed, "manual") is not None
                job = await app.job_manager.fetch_job(None, worker)
                assert job.task_kwargs["feed"] == feed
                await app.job_manager.retry_job(job)
                again = await app.job_manager.fetch_job(None, worker)
                await app.job_manager.finish_job_by_id_async(again.id, Status.SUCCEEDED, True)
            await app.job_manager.unregister_worker(worker)
    direct = {"DATABASE_URL": pooled, "DATABASE_DIRECT_URL": TEST_DATABASE_URL}
    with mock.patch.dict(os.environ, direct):
        assert queue_url() == TEST_DATABASE_URL
        assert await listens()


@pytest.mark.fake_servicetitan(tenants=[7_800_001], records=60, page_size=20)
async def test_a_worker_behind_the_pooler_syncs_with_the_direct_url(
    pgbouncer, migrated_copy, fake_servicetitan, tmp_path
):
    """The worker as an operator runs it behind PgBouncer: DATABASE_URL the
    pooler (its syncs' queries), DATABASE_DIRECT_URL the server (the queue's
    LISTEN, the tenant's sync lock)."""
    from tests.servicetitan.worker.test_two_workers import logs
    from tests.servicetitan.worker.workers import Workers, add_tenants, until

    direct = migrated_copy("test_pooled_worker")
    through_pooler = pgbouncer.url(database_name(direct))
    await add_tenants(direct, fake_servicetitan, [7_800_001])
    workers = Workers(through_pooler, fake_servicetitan.env, tmp_path)
    try:
        worker = workers.start(
            concurrency=2, DATABASE_DIRECT_URL=direct, SERVICETITAN_SYNC_FEEDS="jobs,customers"
        )

        async def both_synced():
            done = await logs(direct, "l.status = 'completed'")
            return len(done) == 2

        await until(both_synced, timeout=60, what="both feeds synced", url=direct)
        assert "polling" not in worker.text()
    finally:
        workers.stop_all()
