"""The live sync behind PgBouncer in transaction mode (the engine as
piccolo_conf makes it for a pooled ``DATABASE_URL``, fewer server
connections than clients: tests/platform/test_pgbouncer.py): one token
refresh at a time (a transaction-level lock), one sync of a tenant at a
time (a session lock, on ``DATABASE_DIRECT_URL``), the pages cached."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from platform_db.database.pooler import DIRECT_URL_ENV, NeedsDirectConnection
from servicetitan.api import tokens
from servicetitan.api.settings import ApiSettings
from servicetitan.api.tokens import CredentialTokens
from servicetitan.fake import Fault
from servicetitan.sync.feeds import sync_feed
from tests.conftest import TEST_DATABASE_URL
from tests.platform.test_pgbouncer import pgbouncer, pooled  # noqa: F401 (fixtures)


@pytest.mark.fake_servicetitan(records={"jobs": 300}, page_size=100)
async def test_tokens_and_syncs_through_a_transaction_pooler(pooled, live, conn, monkeypatch):  # noqa: F811
    monkeypatch.setenv(DIRECT_URL_ENV, TEST_DATABASE_URL)
    settings = ApiSettings.for_environment("integration")
    tokens._tokens.clear()

    async def refresh():
        async with httpx.AsyncClient() as http:
            return (await CredentialTokens(live.credential, settings, http).refresh()).value

    assert len(set(await asyncio.gather(*(refresh() for _ in range(6))))) == 1
    assert live.fake.counters.tokens_issued(live.credential.client_id) == 1

    live.fake.faults.add(Fault.slow(0.2), path="export/jobs", times=None)
    outcomes = await asyncio.gather(
        sync_feed(live.credential, "jobs"),
        sync_feed(live.credential, "jobs"),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRunning", "ServiceTitanSyncLog"]
    assert await live.cached(conn, "jobs") == live.newest("jobs")


@pytest.mark.fake_servicetitan(records=5)
async def test_without_a_direct_url_a_sync_behind_a_pooler_is_refused(pooled, live, monkeypatch):  # noqa: F811
    monkeypatch.delenv(DIRECT_URL_ENV, raising=False)
    with pytest.raises(NeedsDirectConnection, match="a ServiceTitan sync .* set DATABASE_DIRECT_URL"):
        await sync_feed(live.credential, "jobs")
