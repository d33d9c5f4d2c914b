"""Sync logs are history, enforced by PostgreSQL itself: a finished log can
be neither changed nor deleted by any SQL; a running one still finishes
through the project's API; logs go only with their credential."""

import asyncpg
import pytest

from servicetitan.tables import ServiceTitanSyncLog


@pytest.fixture
async def failed_log(credential):
    log = await ServiceTitanSyncLog.start(credential.id, "scheduled", "jobs")
    await log.fail("ServiceTitan answered 503", {"status": 503}, processed=3, failed=3)
    return log


async def row_of(conn, log_id):
    return dict(await conn.fetchrow("SELECT * FROM servicetitan_sync_logs WHERE id = $1", log_id))


@pytest.mark.parametrize(
    "assignment",
    [
        "status = 'completed', records_failed = 0, error_message = NULL",
        "error_message = 'nothing happened'",
        "started_at = date_trunc('second', started_at)",
        "status = 'running', completed_at = NULL",
    ],
)
async def test_a_finished_log_cannot_be_changed_by_sql(conn, failed_log, assignment):
    before = await row_of(conn, failed_log.id)
    with pytest.raises(asyncpg.RestrictViolationError, match="finished sync log is history"):
        await conn.execute(
            f"UPDATE servicetitan_sync_logs SET {assignment} WHERE id = $1", failed_log.id
        )
    assert await row_of(conn, failed_log.id) == before


async def test_a_completed_log_cannot_be_changed_either(conn, credential):
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await log.complete(processed=2, successful=2, failed=0)
    with pytest.raises(asyncpg.RestrictViolationError, match="is completed"):
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET records_processed = 9 WHERE id = $1", log.id
        )


async def test_no_log_can_be_deleted_on_its_own(conn, credential, failed_log):
    running = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    for log_id in (failed_log.id, running.id):
        with pytest.raises(asyncpg.RestrictViolationError, match="cannot be deleted"):
            await conn.execute("DELETE FROM servicetitan_sync_logs WHERE id = $1", log_id)
    with pytest.raises(asyncpg.RestrictViolationError, match="TRUNCATE is not allowed"):
        await conn.execute("TRUNCATE servicetitan_sync_logs")
    assert await conn.fetchval(
        "SELECT count(*) FROM servicetitan_sync_logs WHERE id = ANY($1::uuid[])",
        [failed_log.id, running.id],
    ) == 2


async def test_a_running_log_still_finishes_through_the_api(conn, credential):
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await log.fail("timed out", {"after_seconds": 30}, processed=1, failed=1)
    row = await row_of(conn, log.id)
    assert (row["status"], row["error_message"]) == ("failed", "timed out")


async def test_a_running_log_keeps_what_it_is_about(conn, credential):
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    with pytest.raises(asyncpg.RestrictViolationError, match="keeps its id, credential"):
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET data_type = 'locations' WHERE id = $1", log.id
        )


async def test_logs_go_with_their_credential(conn, credential, failed_log):
    await conn.execute("DELETE FROM servicetitan_credentials WHERE id = $1", credential.id)
    assert await conn.fetchval(
        "SELECT count(*) FROM servicetitan_sync_logs WHERE id = $1", failed_log.id
    ) == 0
