"""A sync log's times are the database's own (migration
``sync_logs_times_from_the_database``): no SQL inserts a finished log,
backdates a start, or closes a log at a time of its choosing; the
project's own API (start, complete, fail, run_sync) still works."""

from datetime import timedelta

import asyncpg
import pytest

from servicetitan.tables import ServiceTitanSyncLog
from tests.support.history import clock_guard_off

INSERT = """
    INSERT INTO servicetitan_sync_logs (servicetitan_credential_id, sync_type, data_type,
        status, started_at, completed_at, records_processed, records_successful)
    VALUES ($1, 'manual', 'jobs', $2::varchar, (now() AT TIME ZONE 'UTC') - interval '400 days',
        CASE WHEN $2::varchar = 'running' THEN NULL
             ELSE (now() AT TIME ZONE 'UTC') - interval '399 days' END, 10, 10)
    RETURNING id
"""


async def row_of(conn, log_id):
    return dict(await conn.fetchrow("SELECT * FROM servicetitan_sync_logs WHERE id = $1", log_id))


@pytest.mark.parametrize("status", ["completed", "failed"])
async def test_a_finished_log_cannot_be_inserted(conn, credential, status):
    with pytest.raises(asyncpg.RestrictViolationError, match="inserted running"):
        await conn.fetchval(INSERT, credential.id, status)
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM servicetitan_sync_logs WHERE servicetitan_credential_id = $1",
            credential.id,
        )
        == 0
    )


async def test_a_backdated_start_becomes_the_databases_clock(conn, credential):
    async with conn.transaction():
        log_id = await conn.fetchval(INSERT, credential.id, "running")
        row = await row_of(conn, log_id)
        bounds = await conn.fetchrow(
            "SELECT now() AT TIME ZONE 'UTC' AS earliest, clock_timestamp() AT TIME ZONE 'UTC'"
            " AS latest"
        )
    assert bounds["earliest"] <= row["started_at"] <= bounds["latest"]


@pytest.mark.parametrize(
    "completed_at",
    ["started_at + interval '1 day'", "started_at"],  # a run of a day, or of no time
)
async def test_a_log_cannot_be_closed_at_a_time_of_ones_choosing(conn, credential, completed_at):
    log = await ServiceTitanSyncLog.start(credential.id, "scheduled", "jobs")
    before = await row_of(conn, log.id)
    with pytest.raises(asyncpg.RestrictViolationError, match="closed at the database's clock"):
        # In a transaction of its own that began after the log's start, as the
        # admin's SQL console would run it.
        await conn.execute(
            f"UPDATE servicetitan_sync_logs SET status = 'completed',"
            f" completed_at = {completed_at} WHERE id = $1",
            log.id,
        )
    assert await row_of(conn, log.id) == before


async def test_a_running_log_keeps_its_start(conn, credential):
    log = await ServiceTitanSyncLog.start(credential.id, "scheduled", "jobs")
    with pytest.raises(asyncpg.RestrictViolationError, match="started_at cannot change"):
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET started_at = started_at - interval '3 hours'"
            " WHERE id = $1",
            log.id,
        )


async def test_the_api_closes_logs_at_the_databases_clock(conn, credential):
    done = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await done.complete(processed=5, successful=4, failed=1)
    failed = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await failed.fail("ServiceTitan answered 503", {"status": 503})
    for log in (done, failed):
        row = await row_of(conn, log.id)
        assert row["completed_at"] >= row["started_at"]
        assert row["processing_time_seconds"] == 0


async def test_a_log_opened_by_a_clock_ahead_still_closes_at_its_start(conn, credential):
    """A log opened before this guard by a host whose clock ran ahead:
    ``fail`` closes it at ``greatest(started_at, clock)``, its own start."""
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    async with clock_guard_off(conn):
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET started_at = started_at + interval '1 hour'"
            " WHERE id = $1",
            log.id,
        )
    await log.fail("interrupted")
    row = await row_of(conn, log.id)
    assert row["completed_at"] == row["started_at"] and row["status"] == "failed"


async def test_the_orm_insert_of_a_running_log_gets_the_databases_start(conn, credential):
    """Piccolo sends the host's time as the default: the database's wins."""
    log = ServiceTitanSyncLog(
        servicetitan_credential=credential.id,
        sync_type="manual",
        data_type="jobs",
        status="running",
    )
    log.started_at = log.started_at - timedelta(days=400)
    await log.save()
    row = await row_of(conn, log.id)
    assert await conn.fetchval(
        "SELECT $1 > (now() AT TIME ZONE 'UTC') - interval '1 minute'", row["started_at"]
    )
