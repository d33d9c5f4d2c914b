"""The seed's TIMESTAMP (without time zone) columns hold UTC, whatever kind
of datetime a caller gives, and whichever clock a value comes from."""

from datetime import datetime, timedelta, timezone

import pytest

from platform_db.values import clock
from servicetitan.tables import ServiceTitanSyncLog

PLUS_TWO = timezone(timedelta(hours=2))


async def test_an_aware_datetime_is_stored_as_its_utc_instant(conn, credential):
    await credential.change(token_expires_at=datetime(2031, 1, 1, 12, 30, tzinfo=PLUS_TWO))
    stored = await conn.fetchval(
        "SELECT token_expires_at FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert stored == datetime(2031, 1, 1, 10, 30)
    assert credential.token_expires_at == datetime(2031, 1, 1, 10, 30)
    await credential.change(token_expires_at=datetime(2031, 1, 1, 12, 30))  # naive: UTC
    stored = await conn.fetchval(
        "SELECT token_expires_at FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert stored == datetime(2031, 1, 1, 12, 30)


@pytest.mark.parametrize("skew", [timedelta(hours=-1), timedelta(hours=1)], ids=["behind", "ahead"])
async def test_a_sync_logs_duration_does_not_depend_on_the_app_clock(
    conn, credential, monkeypatch, skew
):
    """``started_at`` and ``completed_at`` both come from the database's clock:
    an application host whose clock is off distorts neither."""
    real_now = clock.utc_now_naive
    monkeypatch.setattr(clock, "utc_now_naive", lambda: real_now() + skew)
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await log.complete(1, 1, 0)
    row = await conn.fetchrow(
        "SELECT started_at, completed_at, processing_time_seconds, "
        "clock_timestamp() AT TIME ZONE 'UTC' AS database_now "
        "FROM servicetitan_sync_logs WHERE id = $1",
        log.id,
    )
    assert row["processing_time_seconds"] < 5
    assert abs(row["database_now"] - row["started_at"]) < timedelta(seconds=5)
    assert abs(row["database_now"] - row["completed_at"]) < timedelta(seconds=5)
    assert log.started_at == row["started_at"]
