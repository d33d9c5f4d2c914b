"""The live sync under faults (issue 20, item 7), against the fake
ServiceTitan over real HTTP and the real client stack: killed mid-feed, a
429 storm, a token that dies early, rejected credentials, two syncs of one
tenant at once, malformed pages, keys rotated during a sync."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

import pytest

from servicetitan.api.client import ServiceTitanClient
from servicetitan.api.errors import CredentialsRejected, MalformedAnswer
from platform_db.secrets.key_rotation import encrypted_tables
from servicetitan.fake import Fault
from servicetitan.fake.faults import MALFORMED
from servicetitan.sync.feeds import sync_feed
from servicetitan.sync.locks import AlreadyRunning
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
from tests.support.commands import PICCOLO, PROJECT, errors, run_piccolo


async def logs_of(live) -> list[ServiceTitanSyncLog]:
    return await ServiceTitanSyncLog.objects().where(
        ServiceTitanSyncLog.servicetitan_credential == live.credential.id
    )


async def running_processed(conn, live) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(records_processed), 0) FROM servicetitan_sync_logs "
        "WHERE servicetitan_credential_id = $1 AND status = 'running'",
        live.credential.id,
    )


def sync_command(live, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PICCOLO, "servicetitan", "sync", *args, str(live.tenant_id)],
        cwd=PROJECT,
        env={**os.environ, "PLATFORM_DB_QUIET": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def killed_mid_feed(conn, live, records: int = 3000):
    """``piccolo servicetitan sync jobs <tenant>`` in the foreground, SIGKILLed
    once it committed 500 records or more (pages come a little slowly, so
    the kill lands in the middle of the feed): its log, left running."""
    live.fake.faults.add(Fault.slow(0.15), path="export/jobs", after=2, times=None)
    process = sync_command(live, "jobs")
    try:
        for _ in range(600):
            if await running_processed(conn, live) >= 500:
                break
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    [killed] = await logs_of(live)
    assert killed.status == "running" and 500 <= killed.records_processed < records
    live.fake.faults.clear()
    return killed


@pytest.mark.fake_servicetitan(records={"jobs": 3000}, page_size=100)
async def test_a_sync_killed_mid_feed_resumes_from_its_last_committed_page(conn, live):
    feed_versions = len(live.fake.tenant(live.tenant_id).logs["jobs"])
    # the log is left running (nothing could record its end), with the
    # counts of exactly the pages it committed, each with its position
    killed = await killed_mid_feed(conn, live)
    cached = await live.cached(conn, "jobs")
    assert len(cached) == killed.records_successful
    position = await conn.fetchval(
        "SELECT continue_from FROM raw.sync_state WHERE tenant_id = $1 AND table_name = 'st_jobs'",
        live.tenant_id,
    )
    assert position is not None

    # meanwhile records changed, before and after where it stopped
    changed = [10000001, 10000002, 10002999, 10003000]
    live.fake.change(live.tenant_id, "jobs", changed)
    resumed = await sync_feed(live.credential, "jobs")

    assert await live.cached(conn, "jobs") == live.newest("jobs")
    # every version of the feed counted once, across the two runs
    assert killed.records_processed + resumed.records_processed == feed_versions + len(changed)


@pytest.mark.fake_servicetitan(records={"jobs": 600}, page_size=10)
async def test_under_a_429_storm_no_second_holds_more_than_60_requests_and_every_record_arrives(
    conn, live
):
    live.fake.faults.add(Fault.rate_limited(retry_after=1), every=9, times=5)
    live.fake.faults.add(Fault.rate_limited(retry_after=1, header=False), every=13, times=5)

    async def others():
        """Other coroutines of this process calling the tenant's API meanwhile."""
        async with ServiceTitanClient(live.credential) as client:
            for _ in range(15):
                await client.get(
                    f"/settings/v2/tenant/{live.tenant_id}/technicians", {"pageSize": 1}
                )

    log, *_ = await asyncio.gather(
        sync_feed(live.credential, "jobs"), *(others() for _ in range(4))
    )

    assert log.status == "completed" and log.records_processed == 600
    assert await live.cached(conn, "jobs") == live.newest("jobs")
    served = live.fake.counters.api_requests(live.tenant_id)
    assert sum(s.status == 429 for s in served) == 10
    assert live.fake.counters.busiest_second(live.tenant_id) <= 60


@pytest.mark.fake_servicetitan(records={"jobs": 500}, page_size=100)
async def test_a_token_that_dies_mid_feed_costs_one_new_token_and_no_failed_page(conn, live):
    live.fake.faults.add(Fault.revoke_token(), path="export/jobs", after=2)
    client_id = live.credential.client_id

    log = await sync_feed(live.credential, "jobs")

    assert log.status == "completed" and log.records_processed == 500
    assert live.fake.counters.tokens_issued(client_id) == 2
    refused = [s for s in live.fake.counters.api_requests(live.tenant_id) if s.status == 401]
    assert len(refused) == 1
    assert await live.cached(conn, "jobs") == live.newest("jobs")


@pytest.mark.fake_servicetitan(records=20)
async def test_rejected_credentials_give_one_token_request_an_error_and_a_failed_log(conn, live):
    client_id, secret = live.credential.client_id, (await live.credential.secrets()).client_secret
    live.fake.faults.add(Fault.invalid_client(), client_id=client_id, times=None)

    with pytest.raises(CredentialsRejected) as raised:
        await sync_feed(live.credential, "jobs")

    assert len(live.fake.counters.requests(path="/connect/token")) == 1
    assert live.fake.counters.api_requests(live.tenant_id) == []
    credential = await ServiceTitanCredential.objects().get(
        ServiceTitanCredential.id == live.credential.id
    )
    assert credential.connection_status == "error"
    assert "refused the client id" in credential.connection_error
    assert "invalid_client" in credential.connection_error
    [log] = await logs_of(live)
    assert log.status == "failed" and "CredentialsRejected" in log.error_message
    assert "refused the client id" in log.error_message
    for said in (str(raised.value), credential.connection_error, log.error_message):
        assert secret not in said and live.fake.app_key not in said

    # `sync all` stops at the first refusal: one more token request, not seven
    done = run_piccolo("servicetitan", "sync", "all", str(live.tenant_id))
    assert done.returncode == 1
    assert len(live.fake.counters.requests(path="/connect/token")) == 2
    assert secret not in done.stdout + done.stderr
    assert errors(done)[-1] == f"error: tenant {live.tenant_id}: 1 failed"


@pytest.mark.fake_servicetitan(records={"jobs": 400}, page_size=100)
async def test_two_syncs_of_one_tenant_started_together_one_runs_the_other_says_why(conn, live):
    live.fake.faults.add(Fault.slow(0.2), path="export/jobs", times=None)
    outcomes = await asyncio.gather(
        sync_feed(live.credential, "jobs"),
        sync_feed(live.credential, "jobs", full=True),
        return_exceptions=True,
    )
    [ran] = [o for o in outcomes if isinstance(o, ServiceTitanSyncLog)]
    [refused] = [o for o in outcomes if isinstance(o, AlreadyRunning)]
    assert ran.status == "completed"
    assert str(refused).startswith(f"tenant {live.tenant_id} is being synced by another run")
    assert len(await logs_of(live)) == 1

    # two processes: the same
    first, second = sync_command(live, "jobs", "--full"), sync_command(live, "jobs", "--full")
    outs = [(p, *p.communicate(timeout=120)) for p in (first, second)]
    codes = sorted(p.returncode for p, *_ in outs)
    assert codes == [0, 1], outs
    [(_, _, said)] = [(p, out, err) for p, out, err in outs if p.returncode == 1]
    assert "is being synced by another run: this sync of jobs did not start" in said
    assert len(await logs_of(live)) == 2


@pytest.mark.fake_servicetitan(records={"jobs": 500}, page_size=100)
@pytest.mark.parametrize("kind", MALFORMED)
async def test_a_malformed_page_fails_the_run_naming_it_and_keeps_the_pages_before(
    conn, live, kind
):
    live.fake.faults.add(Fault.malformed_page(kind), path="export/jobs", after=2)

    with pytest.raises(MalformedAnswer, match="page 3 of the jobs export feed"):
        await sync_feed(live.credential, "jobs")

    [log] = await logs_of(live)
    assert log.status == "failed"
    assert "failed after 2 page(s): MalformedAnswer: page 3 of the jobs export feed" in (
        log.error_message
    )
    newest = live.newest("jobs")
    assert set(await live.cached(conn, "jobs")) == set(sorted(newest)[:200])

    live.fake.faults.clear()
    again = await sync_feed(live.credential, "jobs")
    assert again.records_processed == 300  # from page 3 on
    assert await live.cached(conn, "jobs") == newest


@pytest.mark.fake_servicetitan(records={"jobs": 800}, page_size=100)
async def test_rotate_keys_during_a_sync_loses_nothing(conn, live, keys):
    live.fake.faults.add(Fault.slow(0.2), path="export/jobs", times=None)
    syncing = asyncio.create_task(sync_feed(live.credential, "jobs"))
    while await running_processed(conn, live) < 200:
        await asyncio.sleep(0.05)

    keys.use(keys.new, keys.old)
    for table in encrypted_tables():
        await table.rotate_encryption()
    # the token dies: the sync obtains one, stored under the newest key
    live.fake.tokens.revoke(live.credential.client_id)
    log = await syncing

    assert log.status == "completed" and log.records_processed == 800
    assert await live.cached(conn, "jobs") == live.newest("jobs")
    assert live.fake.counters.tokens_issued(live.credential.client_id) == 2
    checks = await ServiceTitanCredential.encryption_check()
    assert all(not (c.stale or c.plaintext or c.undecryptable) for c in checks)
    stored = await live.credential.stored_token()
    assert stored.access_token is not None and stored.client_secret
