"""How the admin's own pages show what a sync log holds: every time with its
zone and to the microsecond, how long a sync took from its times (the
seed's ``processing_time_seconds`` is whole seconds), a missing value as
"none"."""

from __future__ import annotations

import uuid

import pytest

from admin.formatting import when


@pytest.fixture
async def quick_sync(migrated):
    """A sync that took 40.5 ms, of a credential of its own."""
    from business.tables import Company
    from platform_db.database.connection import connection
    from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
    from tests.support.history import clock_guard_off

    company = await Company.create(name=f"Quick Salon {uuid.uuid4().hex[:6]}")
    credential = await ServiceTitanCredential.register(
        company.id, "production", f"client-{uuid.uuid4().hex[:8]}", "cs-quick"
    )
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    async with connection(ServiceTitanSyncLog) as conn, clock_guard_off(conn):
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET status = 'completed', records_processed = 0,"
            " records_successful = 0, records_failed = 0,"
            " completed_at = started_at + interval '40.5 milliseconds' WHERE id = $1",
            log.id,
        )
    stored = await ServiceTitanSyncLog.objects().get(ServiceTitanSyncLog.id == log.id)
    yield credential, stored
    await Company.delete().where(Company.id == company.id)


async def test_a_sync_shows_its_times_with_zone_and_how_long_it_took(client, quick_sync):
    credential, log = quick_sync
    assert log.processing_time_seconds == 0  # what the seed's column says
    for path in (
        f"/inspect/credentials/{credential.id}/",
        f"/inspect/sync-logs/{log.id}/",
        f"/inspect/sync-logs/?credential={credential.id}",
    ):
        page = (await client.get(path)).text
        assert when(log.started_at) in page, path
        assert when(log.started_at).endswith(f".{log.started_at.microsecond:06d} UTC")
        assert "0:00:00.040500" in page, path
    page = (await client.get(f"/inspect/sync-logs/{log.id}/")).text
    assert f"<dt>completed at</dt><dd>{when(log.completed_at)}</dd>" in page
    assert '<h2>Error message</h2>\n<p class="none">none</p>' in page
    assert "NULL" not in page and "None" not in page
