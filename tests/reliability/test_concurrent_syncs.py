"""Concurrent sync runs for the same tenant and entity, whose pages hold the
same ids in different orders and in different versions: every run
completes, the cache ends with the newest version of each record, and the
sync logs' counts add up, run by run and across runs."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta, timezone

from servicetitan.cache.raw_tables import StJob
from servicetitan.sync.run import run_sync
from servicetitan.tables import ServiceTitanSyncLog
from tests.servicetitan.records import job

RUNS = 6
IDS = range(1, 1501)
PAGE = 150
# Malformed records (outside IDS) that every run carries: never cached.
MALFORMED_IDS = range(900_000, 900_010)
BASE = datetime(2025, 5, 1, tzinfo=timezone.utc)


def versions(rng: random.Random) -> dict[int, list[int]]:
    """Per id, which version each run sends: a permutation, so exactly one
    run has the newest."""
    return {i: rng.sample(range(RUNS), RUNS) for i in IDS}


def record(job_id: int, version: int) -> dict:
    modified = BASE + timedelta(minutes=version)
    return job(
        job_id,
        modified_on=modified.isoformat().replace("+00:00", "Z"),
        jobStatus=f"version {version}",
    )


def malformed(job_id: int) -> dict:
    return job(job_id, customerId="not a number")


def pages(run: int, by_id: dict[int, list[int]], rng: random.Random) -> list[list[dict]]:
    """The run's records in an order of its own, cut into pages."""
    records = [record(i, by_id[i][run]) for i in IDS] + [malformed(i) for i in MALFORMED_IDS]
    rng.shuffle(records)
    return [records[start : start + PAGE] for start in range(0, len(records), PAGE)]


async def test_concurrent_runs_keep_the_newest_version_and_consistent_logs(conn, credential, tenant):
    rng = random.Random(7)
    by_id = versions(rng)
    runs = [pages(run, by_id, rng) for run in range(RUNS)]

    started = time.perf_counter()
    results = await asyncio.gather(
        *(run_sync(credential, StJob, run_pages, full=False) for run_pages in runs),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []

    cached = {
        row["id"]: row
        for row in await conn.fetch(
            "SELECT id, job_status, modified_on, full_data->>'jobStatus' AS full_status "
            "FROM raw.st_jobs WHERE tenant_id = $1",
            tenant,
        )
    }
    assert set(cached) == set(IDS)
    newest = RUNS - 1
    stale = [
        i for i in IDS
        if (cached[i]["job_status"], cached[i]["full_status"], cached[i]["modified_on"])
        != (f"version {newest}", f"version {newest}", BASE + timedelta(minutes=newest))
    ]  # fmt: skip
    assert stale == []

    sent = len(IDS) + len(MALFORMED_IDS)
    totals = [total for _, total in results]
    # Each id was inserted by exactly one run; every other run's record of it
    # updated it (when newer) or left it unchanged.
    assert sum(t.inserted for t in totals) == len(IDS)
    assert sum(t.successful for t in totals) == RUNS * len(IDS)

    logs = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    ).output(load_json=True)
    assert sorted(log["id"] for log in logs) == sorted(log.id for log, _ in results)
    for log in logs:
        assert log["status"] == "completed"
        assert log["records_processed"] == sent
        assert log["records_failed"] == len(MALFORMED_IDS)
        assert log["records_successful"] + log["records_failed"] == log["records_processed"]
        assert sorted(r["id"] for r in log["error_details"]["rejected"]) == list(MALFORMED_IDS)
    assert sum(log["records_processed"] for log in logs) == RUNS * sent

    state = await conn.fetchrow(
        "SELECT last_error, records_synced FROM raw.sync_state "
        "WHERE tenant_id = $1 AND table_name = 'st_jobs'",
        tenant,
    )
    assert state["last_error"] is None
    assert state["records_synced"] == len(IDS)
    print(
        f"\nconcurrent syncs: {RUNS} runs, {RUNS * sent} records sent, {len(IDS)} cached, "
        f"{len(stale)} stale, {RUNS * len(MALFORMED_IDS)} rejected, {elapsed:.1f} s"
    )
