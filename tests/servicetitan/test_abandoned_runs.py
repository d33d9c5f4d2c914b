"""A sync killed without a word (SIGKILL) leaves its log ``running``; the
next sync of its tenant, or the worker's periodic tick, closes it as failed
(saying so, with the counts of the pages it committed), and the next run
goes on from the stored continueFrom. A log whose run is alive, in another
process or holding no tenant lock (a load), is never closed
(``servicetitan.sync.abandoned``)."""

from __future__ import annotations

import asyncio
import json

import pytest

from servicetitan.cache.pages import Page
from servicetitan.cache.raw_tables import StJob
from servicetitan.fake import Fault
from servicetitan.sync.abandoned import close_abandoned_runs
from servicetitan.sync.feeds import sync_feed
from servicetitan.sync.locks import AlreadyRunning
from servicetitan.sync.run import SyncRun
from servicetitan.tables import ServiceTitanSyncLog
from tests.servicetitan.records import job
from tests.servicetitan.test_live_faults import (
    killed_mid_feed,
    logs_of,
    running_processed,
    sync_command,
)

JOBS = 3000


async def next_sync(live) -> ServiceTitanSyncLog:
    """``sync_feed`` once the killed run's session is gone: the server ends
    it on the client's vanished socket, an instant after the kill."""
    for _ in range(100):
        try:
            return await sync_feed(live.credential, "jobs")
        except AlreadyRunning:
            await asyncio.sleep(0.1)
    raise AssertionError("the killed run's tenant lock was never released")


async def closed_by_the_tick(live) -> None:
    for _ in range(100):
        if await close_abandoned_runs() >= 1:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the tick never closed the killed run's log")


@pytest.mark.fake_servicetitan(records={"jobs": JOBS}, page_size=100)
@pytest.mark.parametrize("closer", ["the next sync", "the tick"])
async def test_a_killed_syncs_log_is_closed_as_failed_and_the_next_run_resumes(conn, live, closer):
    killed = await killed_mid_feed(conn, live)
    if closer == "the tick":
        await closed_by_the_tick(live)
        noticed_by = "noticed by the worker's periodic tick"
    else:
        noticed_by = f"noticed by the next sync of tenant {live.tenant_id}"
    resumed = await next_sync(live)

    closed = await ServiceTitanSyncLog.objects().get(ServiceTitanSyncLog.id == killed.id)
    assert closed.status == "failed" and closed.completed_at is not None
    assert noticed_by in closed.error_message and "killed" in closed.error_message
    assert "continueFrom" in closed.error_message
    assert json.loads(closed.error_details)["reason"] == "run_abandoned"
    # the counts of the pages it committed stay
    assert (closed.records_processed, closed.records_successful) == (
        killed.records_processed,
        killed.records_successful,
    )
    # the next run went on from the stored continueFrom: every record once
    assert resumed.status == "completed"
    assert resumed.records_processed == JOBS - killed.records_processed
    assert await live.cached(conn, "jobs") == live.newest("jobs")


@pytest.mark.fake_servicetitan(records={"jobs": JOBS}, page_size=100)
async def test_a_live_sync_in_another_process_is_never_closed(conn, live):
    live.fake.faults.add(Fault.slow(0.1), path="export/jobs", after=2, times=None)
    process = sync_command(live, "jobs")
    try:
        for _ in range(600):
            if await running_processed(conn, live) >= 300:
                break
            await asyncio.sleep(0.05)
        assert await close_abandoned_runs() == 0
        [log] = await logs_of(live)
        assert log.status == "running"
        live.fake.faults.clear()
        assert process.wait(timeout=120) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    [log] = await logs_of(live)
    assert log.status == "completed" and log.records_processed == JOBS


async def test_a_live_load_which_holds_no_tenant_lock_is_never_closed(conn, credential):
    """A load (``run_sync``'s logged run) holds only its log's lock: the tick
    takes the tenant's lock, finds the log's taken, and leaves it."""
    async with SyncRun.logged(credential, [StJob], StJob.DATA_TYPE, full=False) as run:
        await run.cache_page(StJob, Page([job(1), job(2)], 1))
        assert await close_abandoned_runs() == 0
        assert (
            await conn.fetchval(
                "SELECT status FROM servicetitan_sync_logs WHERE id = $1", run.log.id
            )
            == "running"
        )
    assert (
        await conn.fetchval("SELECT status FROM servicetitan_sync_logs WHERE id = $1", run.log.id)
        == "completed"
    )
