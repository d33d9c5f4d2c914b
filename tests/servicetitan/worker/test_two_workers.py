"""The queue's journey, as an operator runs it: ``piccolo servicetitan
worker`` processes against the fake ServiceTitan over HTTP, on a database of
the test's own, with faults on and seconds-long periods.

- two workers, 50 tenants x 3 feeds: every (tenant, feed) synced once per
  period, no two runs of a tenant overlapping (from the sync logs' own
  intervals), no tenant over 60 requests in any second (the fake's count);
- SIGKILL of the worker mid-sync: the other one closes the dead run's log
  as failed and runs the job again from the stored continueFrom; every
  record cached once, at its newest version; no log left running;
- SIGTERM: the worker exits 0 once its page in flight has committed, its log
  closed as failed saying why, its job back in the queue, resumed by the
  next worker;
- a credential whose secret ServiceTitan rejects: one token request, then
  none, however many periods pass.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict

import asyncpg
import pytest

from servicetitan.fake import Fault
from tests.servicetitan.worker.workers import FAST, Workers, add_tenants, until

TENANTS = list(range(7_100_001, 7_100_051))
FEEDS = "jobs,customers,technicians"
PERIOD = float(FAST["SERVICETITAN_SYNC_EVERY"])


@pytest.fixture
def workers(migrated_copy, fake_servicetitan, tmp_path):
    started = Workers(migrated_copy("test_workers"), fake_servicetitan.env, tmp_path)
    yield started
    started.stop_all()


async def logs(url: str, *where: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch("""
            SELECT l.id, c.tenant_id, l.data_type, l.sync_type, l.status, l.started_at,
                   l.completed_at, l.error_message
            FROM servicetitan_sync_logs l
            JOIN servicetitan_credentials c ON c.id = l.servicetitan_credential_id
            """ + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY l.started_at")
    finally:
        await connection.close()


async def fetchval(url: str, sql: str, *args):
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


@pytest.mark.fake_servicetitan(tenants=TENANTS, records=30, page_size=20)
async def test_two_workers_sync_every_feed_once_a_period_under_faults(workers, fake_servicetitan):
    fake = fake_servicetitan
    fake.faults.add(Fault.error(503), probability=0.03, seed=3, times=None)
    fake.faults.add(Fault.rate_limited(retry_after=1), probability=0.01, seed=5, times=None)
    fake.faults.add(Fault.revoke_token(), path="export/", probability=0.005, seed=7, times=None)
    await add_tenants(workers.url, fake, TENANTS)
    for _ in range(2):
        workers.start(concurrency=4, SERVICETITAN_SYNC_FEEDS=FEEDS)
    pairs = len(TENANTS) * 3

    async def two_periods_done():
        # two runs of every feed: the gap between them is a period
        done = await logs(workers.url, "l.status = 'completed'")
        per_pair = defaultdict(int)
        for log in done:
            per_pair[(log["tenant_id"], log["data_type"])] += 1
        return len(per_pair) == pairs and min(per_pair.values()) >= 2

    await until(
        two_periods_done, timeout=20 * PERIOD, what="two runs of every feed", url=workers.url
    )
    for worker in workers.started:
        worker.signal(signal.SIGTERM)
    for worker in workers.started:
        assert worker.wait(30) == 0, worker.text()

    every = await logs(workers.url)
    assert not [log for log in every if log["status"] == "running"]
    by_tenant = defaultdict(list)
    by_pair = defaultdict(list)
    for log in every:
        by_tenant[log["tenant_id"]].append(log)
        if log["status"] == "completed" and log["sync_type"] == "scheduled":
            by_pair[(log["tenant_id"], log["data_type"])].append(log)
    # no two runs of one tenant overlap (so none of one feed)
    for tenant, runs in by_tenant.items():
        for earlier, later in zip(runs, runs[1:]):
            assert earlier["completed_at"] <= later["started_at"], (tenant, earlier, later)
    # once a period: never again before the period is over, and again soon after
    late = []
    for pair, runs in by_pair.items():
        for earlier, later in zip(runs, runs[1:]):
            gap = (later["started_at"] - earlier["started_at"]).total_seconds()
            assert gap >= PERIOD - 0.01, f"{pair}: {gap} s" + "".join(
                f"\n{r['data_type']} {r['sync_type']} {r['status']} {r['started_at']} "
                f"{r['completed_at']} {r['error_message']}"
                for r in by_tenant[pair[0]]
            )
            late.append(gap - PERIOD)
    assert sorted(late)[len(late) // 2] < PERIOD / 2, "the median run started half a period late"
    # ServiceTitan's limit, across both workers
    assert max(fake.counters.busiest_second(t) for t in TENANTS) <= 60
    # both workers took part
    outputs = [worker.text() for worker in workers.started]
    assert all("takes jobs" in text for text in outputs), outputs


@pytest.mark.fake_servicetitan(tenants=[7_200_001], records={"jobs": 1500}, page_size=50)
async def test_a_worker_killed_mid_sync_is_taken_over_and_every_record_cached_once(
    workers, fake_servicetitan
):
    fake = fake_servicetitan
    tenant = 7_200_001
    # slow pages: the sync takes seconds, so it can be killed in the middle
    fake.faults.add(Fault.slow(0.15), path="export/jobs", times=None)
    await add_tenants(workers.url, fake, [tenant])
    env = {"SERVICETITAN_SYNC_FEEDS": "jobs", "SERVICETITAN_SYNC_EVERY": "3600"}
    first = workers.start(concurrency=2, **env)

    async def some_pages_committed():
        return await fetchval(
            workers.url,
            "SELECT continue_from IS NOT NULL FROM raw.sync_state"
            " WHERE tenant_id = $1 AND table_name = 'st_jobs'",
            tenant,
        )

    await until(some_pages_committed, timeout=30, what="a page of jobs committed")
    second = workers.start(concurrency=2, **env)
    await until(
        lambda: fetchval(workers.url, "SELECT count(*) FROM sync_queue_workers"),
        timeout=30,
        what="the second worker registered",
    )
    first.signal(signal.SIGKILL)
    first.wait(10)

    async def completed():
        return await logs(workers.url, "l.status = 'completed'")

    await until(
        completed, timeout=60, what="the job completed on the other worker", url=workers.url
    )
    every = await logs(workers.url)
    assert [log["status"] for log in every] == ["failed", "completed"], every
    # closed by whichever noticed first: the stalled-job recovery, or the
    # tick that finds a running log whose run holds no lock any more
    said = every[0]["error_message"]
    assert "stopped answering" in said or "its run ended without closing this log" in said, said
    newest = fake.newest(tenant, "jobs")
    connection = await asyncpg.connect(workers.url)
    try:
        cached = {
            row["id"]: row["full_data"]
            for row in await connection.fetch(
                "SELECT id, full_data::text FROM raw.st_jobs WHERE tenant_id = $1", tenant
            )
        }
    finally:
        await connection.close()
    assert sorted(cached) == sorted(newest)
    assert "takes jobs" in second.text()


@pytest.mark.fake_servicetitan(tenants=[7_300_001], records={"jobs": 1000}, page_size=50)
async def test_sigterm_lets_the_page_in_flight_commit_and_the_next_worker_resumes(
    workers, fake_servicetitan
):
    fake = fake_servicetitan
    tenant = 7_300_001
    fake.faults.add(Fault.slow(0.3), path="export/jobs", times=None)
    await add_tenants(workers.url, fake, [tenant])
    env = {"SERVICETITAN_SYNC_FEEDS": "jobs", "SERVICETITAN_SYNC_EVERY": "3600"}
    worker = workers.start(concurrency=1, **env)

    async def pages_committed():
        return await fetchval(
            workers.url,
            "SELECT continue_from IS NOT NULL FROM raw.sync_state WHERE tenant_id = $1",
            tenant,
        )

    await until(pages_committed, timeout=30, what="a page committed")
    told = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.wait(30) == 0, worker.text()
    # within the page in flight (0.3 s of the fake's, plus its upsert and the exit)
    assert time.monotonic() - told < 5, worker.text()
    (stopped,) = await logs(workers.url)
    assert stopped["status"] == "failed" and "told to stop" in stopped["error_message"]
    cached_then = await fetchval(
        workers.url, "SELECT count(*) FROM raw.st_jobs WHERE tenant_id = $1", tenant
    )
    assert cached_then > 0 and cached_then % 50 == 0  # whole pages only
    assert (
        await fetchval(
            workers.url,
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'"
            " AND task_name = 'servicetitan.sync_feed'",
        )
        == 1
    )
    served_before = len(fake.counters.requests(tenant=tenant, path="export/jobs"))

    workers.start(concurrency=1, **env)
    await until(
        lambda: logs(workers.url, "l.status = 'completed'"), timeout=60, what="resumed and done"
    )
    served = len(fake.counters.requests(tenant=tenant, path="export/jobs"))
    pages = 1000 // 50
    # resumed from the stored continueFrom: the feed was not read again from its start
    assert served <= pages + 2, (served_before, served)
    assert await fetchval(
        workers.url, "SELECT count(*) FROM raw.st_jobs WHERE tenant_id = $1", tenant
    ) == len(fake.newest(tenant, "jobs"))


@pytest.mark.fake_servicetitan(tenants=[7_400_001, 7_400_002], records=10, page_size=20)
async def test_a_rejected_secret_gets_no_further_token_requests(workers, fake_servicetitan):
    fake = fake_servicetitan
    rejected, fine = 7_400_001, 7_400_002
    client_id = fake.tenants[rejected].client_id
    fake.faults.add(Fault.invalid_client(), client_id=client_id, times=None)
    await add_tenants(workers.url, fake, [rejected, fine])
    workers.start(
        concurrency=2, SERVICETITAN_SYNC_FEEDS="jobs,customers", SERVICETITAN_SYNC_EVERY="2"
    )

    async def fine_synced_three_times():
        done = await logs(workers.url, f"c.tenant_id = {fine}", "l.status = 'completed'")
        return len(done) >= 6

    await until(
        fine_synced_three_times, timeout=60, what="the other tenant synced thrice", url=workers.url
    )
    assert (
        await fetchval(
            workers.url,
            "SELECT connection_status FROM servicetitan_credentials WHERE tenant_id = $1",
            rejected,
        )
        == "error"
    )
    token_requests = [
        r for r in fake.counters.requests(path="connect/token") if r.client_id == client_id
    ]
    assert len(token_requests) == 1, token_requests
    secret = fake.tenants[rejected].client_secret
    assert secret not in "".join(w.text() for w in workers.started)
