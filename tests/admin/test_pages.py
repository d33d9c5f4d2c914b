"""How the admin's own pages show what a sync log holds: every time with its
zone and to the microsecond, how long a sync took from its times (the
seed's ``processing_time_seconds`` is whole seconds), a missing value as
"none"."""

from __future__ import annotations

import re
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


async def test_a_completed_sync_with_rejected_records_says_how_many(client, quick_sync):
    """Issue 24: such a sync read "error: none" on the credential page and the list."""
    from servicetitan.tables import ServiceTitanSyncLog

    credential, _ = quick_sync
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await log.complete(processed=9, successful=4, failed=5, error_details={"rejected": []})
    for path in (
        f"/inspect/credentials/{credential.id}/",
        f"/inspect/sync-logs/?credential={credential.id}",
    ):
        page = (await client.get(path)).text
        assert f'<a href="/inspect/sync-logs/{log.id}/">5 records rejected</a>' in page, path
    page = (await client.get(f"/inspect/sync-logs/{log.id}/")).text
    assert "5 records rejected: see the details below." in page


async def test_a_running_sync_shows_how_long_it_has_run(client, fleet):
    """Issue 24: a sync stuck for 3 h showed duration "none"."""
    page = (await client.get(f"/inspect/sync-logs/{fleet['stuck']}/")).text
    # Started three hours before the fixture ran, however long ago that was.
    shown = re.search(
        r"<dt>duration</dt><dd>(\d+):\d\d:\d\d\.\d{6} so far \(as of [^)]+ UTC\)", page
    )
    assert shown and int(shown[1]) >= 3, page
    assert '<span class="warn">stuck</span>' in page
    listed = (await client.get("/inspect/sync-logs/stuck/")).text
    assert re.search(r'<td class="number took">([3-9]|\d\d+):\d\d:\d\d\.\d{6} so far</td>', listed)


async def test_the_first_screen_answers_the_five_questions_in_numbers(client, conn, fleet):
    page = (await client.get("/")).text
    expected = await conn.fetchrow("""
        SELECT count(*) FILTER (WHERE failing) AS failing,
               count(*) FILTER (WHERE token_state = 'expired') AS expired,
               count(*) FILTER (WHERE token_state = 'expiring') AS expiring,
               count(*) FILTER (WHERE token_state = 'none') AS no_token,
               count(*) AS credentials,
               (SELECT count(*) FROM servicetitan_sync_logs WHERE status = 'running'
                AND started_at <= now() AT TIME ZONE 'UTC' - interval '60 minutes') AS stuck,
               (SELECT count(*) FROM servicetitan_sync_logs WHERE status = 'failed'
                AND started_at >= now() AT TIME ZONE 'UTC' - interval '24 hours') AS failed
        FROM servicetitan_credential_overview
        """)
    tiles = dict(
        (label, count)
        for count, label in re.findall(
            r'<span class="count">([^<]+)</span><span class="label">([^<]+)</span>', page
        )
    )
    assert tiles["failing credentials"] == str(expected["failing"]) != "0"
    assert tiles["tokens expired · expiring · missing"] == (
        f"{expected['expired']} · {expected['expiring']} · {expected['no_token']}"
    )
    assert tiles["credentials and their syncs"] == str(expected["credentials"])
    assert tiles["stuck syncs"] == str(expected["stuck"]) != "0"
    assert tiles["failed syncs, last 24 h"] == str(expected["failed"]) != "0"
    assert tiles["pending migrations"] == "0"
    assert tiles["rows in the DEFAULT partition"] == str(
        await conn.fetchval("SELECT count(*) FROM messages_default")
    )
    assert int(tiles["months ahead with a partition"]) >= 1
    for link in (
        "/inspect/credentials/?failing=yes",
        "/inspect/credentials/?token=expired,expiring,none",
        "/inspect/credentials/",
        "/inspect/sync-logs/?status=failed",
        "/inspect/sync-logs/stuck/",
        "/health/",
    ):
        assert f'href="{link}"' in page, link
