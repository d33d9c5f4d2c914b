"""The sync queue in the admin, as an operator uses it: "Sync now" on a
credential's page queues a manual run of each feed (once: a feed already
waiting says so), the queue page lists the jobs waiting with their
credential, the next scheduled run of each feed and the workers, and a bad
feed is refused in one line."""

from __future__ import annotations

import uuid

import pytest

from servicetitan.worker.settings import FEEDS
from tests.admin.support import forms_of, submit


@pytest.fixture
async def tenant_credential(migrated, conn):
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential

    company = Company(name=f"Queue Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    credential = await ServiceTitanCredential.register(
        company.id,
        "integration",
        f"client-{uuid.uuid4().hex[:8]}",
        "cs-queue-secret",
        tenant_id=int(uuid.uuid4().int % 10**12) + 1,
    )
    yield credential
    await conn.execute(
        "DELETE FROM procrastinate_jobs WHERE args ->> 'credential_id' = $1", str(credential.id)
    )
    await Company.delete().where(Company.id == company.id)


async def test_sync_now_queues_each_feed_once_and_the_queue_page_shows_them(
    client, tenant_credential, conn
):
    page = await client.get(f"/inspect/credentials/{tenant_credential.id}/")
    sync_now = next(f for f in forms_of(page.text) if f.buttons == ["Sync now"])
    assert sync_now.action == f"/inspect/credentials/{tenant_credential.id}/sync/"
    assert sync_now.options["feed"] == ["all", *FEEDS]

    done = await submit(client, sync_now)
    assert done.status_code == 303, done.text
    shown = await client.get(done.headers["location"])
    assert f"{len(FEEDS)} manual sync(s) queued" in shown.text
    jobs = await conn.fetch(
        "SELECT args ->> 'feed' AS feed, args ->> 'trigger' AS trigger, priority"
        " FROM procrastinate_jobs WHERE args ->> 'credential_id' = $1 AND status = 'todo'",
        str(tenant_credential.id),
    )
    assert sorted(j["feed"] for j in jobs) == sorted(FEEDS)
    assert {(j["trigger"], j["priority"]) for j in jobs} == {("manual", 10)}

    again = await submit(client, sync_now, feed="jobs")
    shown = await client.get(again.headers["location"])
    assert "0 manual sync(s) queued; 1 feed(s) already had a job waiting" in shown.text

    queue = await client.get("/inspect/queue/")
    assert queue.status_code == 200
    assert "Waiting (" in queue.text and "Next scheduled runs" in queue.text
    assert queue.text.count(f"tenant {tenant_credential.tenant_id}") >= 2 * len(FEEDS)
    assert "cs-queue-secret" not in queue.text and tenant_credential.client_id not in queue.text


async def test_a_bad_feed_or_a_credential_without_tenant_is_refused(client, tenant_credential):
    page = await client.get(f"/inspect/credentials/{tenant_credential.id}/")
    sync_now = next(f for f in forms_of(page.text) if f.buttons == ["Sync now"])
    refused = await submit(client, sync_now, feed="everything")
    assert refused.status_code == 400
    assert "feed must be all or one of locations" in refused.text
    await tenant_credential.change(tenant_id=None)
    page = await client.get(f"/inspect/credentials/{tenant_credential.id}/")
    assert not [f for f in forms_of(page.text) if f.buttons == ["Sync now"]]
    refused = await submit(client, sync_now)
    assert refused.status_code == 409 and "has no tenant id" in refused.text
