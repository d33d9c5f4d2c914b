"""Sync logs (seed 002): started, then completed or failed, with counts,
error details as JSON and a processing time the database computes."""

import json

import asyncpg
import pytest

from platform_db.values.choices import InvalidChoice
from servicetitan.tables import InvalidSyncCounts, ServiceTitanSyncLog, SyncLogNotRunning
from tests.support.history import clock_guard_off

# completed_at follows the status, so that only the constraint under test fails.
INSERT = """
    INSERT INTO servicetitan_sync_logs
        (servicetitan_credential_id, sync_type, data_type, status, completed_at)
    VALUES ($1, $2, $3, $4::varchar,
            CASE WHEN $4::varchar = 'running' THEN NULL ELSE now() AT TIME ZONE 'UTC' END)
    RETURNING id
"""


@pytest.fixture
async def log(credential):
    return await ServiceTitanSyncLog.start(credential.id, "scheduled", "invoices")


async def row_of(conn, log):
    return await conn.fetchrow("SELECT * FROM servicetitan_sync_logs WHERE id = $1", log.id)


async def test_start_opens_a_running_log(conn, log):
    row = await row_of(conn, log)
    assert row["status"] == "running"
    assert row["started_at"] is not None and row["completed_at"] is None
    assert (row["records_processed"], row["records_successful"], row["records_failed"]) == (0, 0, 0)
    assert row["processing_time_seconds"] is None


async def test_complete_records_counts_and_computes_processing_time(conn, log):
    async with clock_guard_off(conn):  # as if it had started 95.7 s ago
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET started_at = started_at - interval '95.7 seconds' "
            "WHERE id = $1",
            log.id,
        )
    await log.complete(processed=10, successful=8, failed=2)
    row = await row_of(conn, log)
    assert row["status"] == "completed"
    assert (row["records_processed"], row["records_successful"], row["records_failed"]) == (10, 8, 2)
    assert row["completed_at"] >= row["started_at"]
    expected = int((row["completed_at"] - row["started_at"]).total_seconds())
    assert row["processing_time_seconds"] == expected >= 95
    assert log.processing_time_seconds == expected


async def test_processing_time_cannot_be_typed_in(conn, log):
    await conn.execute(
        "UPDATE servicetitan_sync_logs SET status = 'completed',"
        " completed_at = clock_timestamp() AT TIME ZONE 'UTC', processing_time_seconds = 9999"
        " WHERE id = $1",
        log.id,
    )
    row = await row_of(conn, log)
    assert row["processing_time_seconds"] == int(
        (row["completed_at"] - row["started_at"]).total_seconds()
    ) < 9999


async def test_fail_keeps_message_and_json_details(conn, log):
    details = {"page": 3, "errors": [{"id": 17, "reason": "missing customerId"}], "retry": None}
    await log.fail("ServiceTitan answered 500", details, processed=5, successful=4, failed=1)
    row = await row_of(conn, log)
    assert row["status"] == "failed"
    assert row["error_message"] == "ServiceTitan answered 500"
    assert json.loads(row["error_details"]) == details
    assert await conn.fetchval(
        "SELECT pg_typeof(error_details)::text FROM servicetitan_sync_logs WHERE id = $1", log.id
    ) == "json"
    assert row["completed_at"] is not None and row["processing_time_seconds"] is not None


async def test_only_a_running_log_can_be_finished(log):
    await log.complete(processed=1, successful=1, failed=0)
    with pytest.raises(SyncLogNotRunning):
        await log.complete(processed=1, successful=1, failed=0)
    with pytest.raises(SyncLogNotRunning):
        await log.fail("late failure")


@pytest.mark.parametrize(
    "counts",
    [(-1, 0, 0), (1, -1, 0), (1, 0, -1), (3, 2, 2), (1.5, 1, 0), (True, 1, 0), ("3", 1, 1)],
)
async def test_bad_counts_are_refused_and_the_log_stays_running(conn, log, counts):
    with pytest.raises(InvalidSyncCounts, match="servicetitan_sync_logs"):
        await log.complete(*counts)
    assert (await row_of(conn, log))["status"] == "running"


@pytest.mark.parametrize(
    "assignment,constraint",
    [
        ("records_processed = -1, records_successful = -1", "counts_not_negative"),
        ("records_failed = -5", "counts_not_negative"),
        ("records_processed = 2, records_successful = 2, records_failed = 1", "counts_add_up"),
        ("status = 'completed'", "completion_matches_status"),
        ("completed_at = started_at", "completion_matches_status"),
        ("status = 'done', completed_at = started_at", "status_check"),
        (
            "status = 'failed', completed_at = started_at - interval '1 minute'",
            "completed_after_start",
        ),
    ],
)
async def test_database_refuses_inconsistent_logs(conn, log, assignment, constraint):
    with pytest.raises(asyncpg.CheckViolationError, match=constraint):
        await conn.execute(
            f"UPDATE servicetitan_sync_logs SET {assignment} WHERE id = $1", log.id
        )


@pytest.mark.parametrize(
    "sync_type,data_type,status,constraint",
    [
        ("cron", "invoices", "running", "sync_type_check"),
        ("manual", "payments", "running", "data_type_8_values"),
        ("manual", "invoices", "queued", "status_check"),
    ],
)
async def test_enum_values_are_enforced_by_postgresql(
    conn, credential, sync_type, data_type, status, constraint
):
    with pytest.raises(asyncpg.CheckViolationError, match=constraint):
        await conn.fetchval(INSERT, credential.id, sync_type, data_type, status)


async def test_enum_values_are_checked_before_the_database(credential):
    with pytest.raises(InvalidChoice, match=r"servicetitan_sync_logs\.sync_type = 'cron' rejected: allowed values"):
        await ServiceTitanSyncLog.start(credential.id, "cron", "invoices")
    with pytest.raises(InvalidChoice, match=r"servicetitan_sync_logs\.data_type"):
        await ServiceTitanSyncLog.start(credential.id, "manual", "payments")


async def test_details_that_are_not_json_are_refused_and_nothing_is_lost(conn, log):
    with pytest.raises(TypeError, match="error_details must be JSON-serializable"):
        await log.fail("boom", {"when": object()})
    assert (await row_of(conn, log))["status"] == "running"


async def test_deleting_a_credential_removes_its_logs(conn, credential, log):
    await conn.execute("DELETE FROM servicetitan_credentials WHERE id = $1", credential.id)
    assert await conn.fetchval(
        "SELECT count(*) FROM servicetitan_sync_logs WHERE id = $1", log.id
    ) == 0


async def test_unknown_credential_is_refused(conn, migrated):
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="servicetitan_credential_id_fkey"):
        await conn.fetchval(
            INSERT, "00000000-0000-0000-0000-000000000000", "manual", "both", "running"
        )
