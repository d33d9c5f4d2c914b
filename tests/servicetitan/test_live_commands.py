"""``piccolo servicetitan test_connection`` and ``sync`` as an operator runs
them, against the fake ServiceTitan; and no token, client secret or
application key in any log line, exception, sync log, command output or
the credentials' overview, whatever fault the fake injects."""

from __future__ import annotations

import json
import logging

import pytest

from servicetitan.api.client import check_connection
from servicetitan.api.errors import ServiceTitanError
from servicetitan.fake import Fault
from servicetitan.sync.feeds import sync_feed
from servicetitan.tables import ServiceTitanCredential
from tests.support.commands import errors, run_piccolo


@pytest.mark.fake_servicetitan(records=5)
async def test_test_connection_prints_the_outcome_and_the_token_expiry_and_records_it(
    conn, live, company
):
    done = run_piccolo("servicetitan", "test_connection", company.name, "integration")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"{company.name} (integration), tenant {live.tenant_id}: connected; the access token "
        "expires at "
    )
    row = await conn.fetchrow(
        "SELECT connection_status, token_expires_at, last_connection_attempt, connection_error "
        "FROM servicetitan_credentials WHERE id = $1",
        live.credential.id,
    )
    assert row["connection_status"] == "active" and row["connection_error"] is None
    assert f"{row['token_expires_at']:%Y-%m-%d %H:%M:%S} UTC" in done.stdout
    technicians = live.fake.counters.requests(live.tenant_id, "/technicians")
    assert [s.status for s in technicians] == [200]

    live.fake.faults.add(Fault.invalid_client(), times=None)
    refused = run_piccolo("servicetitan", "test_connection", company.name, "integration")
    assert refused.returncode == 1
    assert errors(refused) == [
        f"error: {company.name} (integration), tenant {live.tenant_id}: the connection failed: "
        f"ServiceTitan refused the client id {live.credential.client_id!r} and its secret "
        "(400: invalid_client)"
    ]
    status = await conn.fetchval(
        "SELECT connection_status FROM servicetitan_credentials WHERE id = $1", live.credential.id
    )
    assert status == "error"


@pytest.mark.fake_servicetitan(records=120, page_size=50)
async def test_sync_all_is_a_run_per_entity_then_each_caught_up(conn, live):
    done = run_piccolo("servicetitan", "sync", "all", str(live.tenant_id))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("customers: 120 records in 3 page(s): 120 cached, 0 rejected")
    assert lines[-1] == f"tenant {live.tenant_id}: 7 completed"
    assert "page 3" in done.stderr  # the progress bars
    for entity in ("customers", "jobs", "invoices"):
        assert await live.cached(conn, entity) == live.newest(entity)

    again = run_piccolo("servicetitan", "sync", "both", str(live.tenant_id))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"both: tenant {live.tenant_id}: caught up (customers at ")
    assert again.stdout.splitlines()[-1] == f"tenant {live.tenant_id}: 1 caught up"


@pytest.mark.fake_servicetitan(records=5)
async def test_sync_without_the_app_key_says_so_and_syncs_nothing(conn, live, monkeypatch):
    monkeypatch.delenv("SERVICETITAN_APP_KEY")
    done = run_piccolo("servicetitan", "sync", "jobs", str(live.tenant_id))
    assert done.returncode == 1
    assert errors(done) == [
        "error: SERVICETITAN_APP_KEY is not set: every ServiceTitan API call needs the "
        "application's key (ST-App-Key, from ServiceTitan's developer portal) (nothing was "
        "synced)"
    ]
    assert live.fake.counters.requests() == []


@pytest.mark.fake_servicetitan(records={"jobs": 300}, page_size=100)
async def test_no_secret_in_a_log_line_an_exception_a_sync_log_or_the_overview(
    conn, live, caplog, company
):
    caplog.set_level(logging.DEBUG)  # every logger, httpx's and httpcore's too
    secret = (await live.credential.secrets()).client_secret
    faults = live.fake.faults
    faults.add(Fault.revoke_token(), path="export/jobs", after=1)
    faults.add(Fault.error(500), path="export/jobs", after=1)
    faults.add(Fault.rate_limited(retry_after=1, header=False), path="export/jobs", after=1)
    said: list[str] = []

    await sync_feed(live.credential, "jobs", full=True)
    live.fake.tokens.revoke(live.credential.client_id)
    faults.add(Fault.invalid_client(), times=None)
    for attempt in (
        check_connection(live.credential),
        sync_feed(live.credential, "jobs", full=True),
    ):
        try:
            await attempt
        except ServiceTitanError as exc:
            said += [str(exc), repr(exc)]
    command = run_piccolo("servicetitan", "test_connection", company.name, "integration")

    said += [command.stdout, command.stderr]
    said += [record.getMessage() for record in caplog.records]
    said += [str(record.exc_info) for record in caplog.records if record.exc_info]
    for row in await conn.fetch(
        "SELECT * FROM servicetitan_sync_logs WHERE servicetitan_credential_id = $1",
        live.credential.id,
    ):
        said.append(json.dumps(dict(row), default=str))
    overview = await conn.fetchrow(
        "SELECT * FROM servicetitan_credential_overview WHERE id = $1", live.credential.id
    )
    said.append(json.dumps(dict(overview), default=str))
    said.append(repr(await live.credential.stored_token()))
    said.append(repr(await ServiceTitanCredential.objects().first()))

    issued = list(live.fake.tokens._tokens)
    assert len(issued) == 2 and "CredentialsRejected" in " ".join(said)
    leaked = [
        (what, text[:200])
        for text in said
        for what, value in [("client secret", secret), ("app key", live.fake.app_key)]
        + [("token", token) for token in issued]
        if value in text
    ]
    assert leaked == []
