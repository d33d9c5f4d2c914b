""" "Sync now" from the command line, as an operator types it:
``piccolo servicetitan sync <entity> <tenant> --queue`` queues a manual run
of each feed (one waiting per feed), and a worker runs it as ``manual``;
``--queue`` with ``--full`` or ``--since`` is refused in one line."""

from __future__ import annotations

import asyncpg
import pytest

from tests.servicetitan.worker.test_two_workers import logs
from tests.servicetitan.worker.workers import Workers, add_tenants, until
from tests.support.commands import run_piccolo


@pytest.fixture
def workers(migrated_copy, fake_servicetitan, tmp_path):
    started = Workers(migrated_copy("test_sync_now"), fake_servicetitan.env, tmp_path)
    yield started
    started.stop_all()


@pytest.mark.fake_servicetitan(tenants=[7_700_001], records=40, page_size=20)
async def test_sync_now_from_the_command_line_runs_as_manual_on_a_worker(
    workers, fake_servicetitan
):
    tenant = 7_700_001
    await add_tenants(workers.url, fake_servicetitan, [tenant])
    env = {**fake_servicetitan.env, "PLATFORM_DB_QUIET": "1"}
    done = run_piccolo(
        "servicetitan", "sync", "both", str(tenant), "--queue", url=workers.url, **env
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("customers: queued as job ") and lines[1].startswith(
        "invoices: queued as job "
    )
    assert lines[-1].startswith(f"tenant {tenant}: 2 run(s) queued")
    again = run_piccolo(
        "servicetitan", "sync", "invoices", str(tenant), "--queue", url=workers.url, **env
    )
    assert again.returncode == 0 and "invoices: a job is already waiting" in again.stdout

    refused = run_piccolo(
        "servicetitan", "sync", "jobs", str(tenant), "--queue", "--full", url=workers.url, **env
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: --queue runs the feeds from where they stand: not with --full or --since"
    )

    # the schedule syncs another feed only; the queued runs are the manual ones
    workers.start(concurrency=2, SERVICETITAN_SYNC_FEEDS="technicians")

    async def manual_runs_done():
        done = await logs(workers.url, "l.sync_type = 'manual'", "l.status = 'completed'")
        return sorted(log["data_type"] for log in done) == ["customers", "invoices"] and done

    await until(manual_runs_done, timeout=60, what="the manual runs completed", url=workers.url)
    connection = await asyncpg.connect(workers.url)
    try:
        cached = await connection.fetchval(
            "SELECT count(*) FROM raw.st_invoices WHERE tenant_id = $1", tenant
        )
    finally:
        await connection.close()
    assert cached == len(fake_servicetitan.newest(tenant, "invoices"))
