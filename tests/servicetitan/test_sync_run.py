"""Sync runs: pages into the cache, the sync log and raw.sync_state."""

import asyncio
import json

import asyncpg
import pytest

from servicetitan.cache.raw_tables import StJob
from servicetitan.sync.run import TenantNotConfigured, run_sync
from servicetitan.tables import ServiceTitanSyncLog
from tests.servicetitan.records import job


def list_page(*records, page=1, has_more=True):
    return {"page": page, "pageSize": 50, "hasMore": has_more, "totalCount": None,
            "data": list(records)}


def export_page(*records, has_more=False):
    return {"hasMore": has_more, "continueFrom": "token-2", "data": list(records)}


async def _log(log_id):
    return await ServiceTitanSyncLog.select().where(ServiceTitanSyncLog.id == log_id).first()


async def _state(conn, tenant):
    return await conn.fetchrow(
        "SELECT * FROM raw.sync_state WHERE tenant_id = $1 AND table_name = 'st_jobs'", tenant
    )


async def _job_ids(conn, tenant):
    rows = await conn.fetch("SELECT id FROM raw.st_jobs WHERE tenant_id = $1", tenant)
    return {r["id"] for r in rows}


async def test_full_then_incremental_run(conn, credential, tenant):
    log, total = await run_sync(
        credential,
        StJob,
        [list_page(job(1), job(2)), export_page(job(3), job(4, id=None))],
        full=True,
    )
    assert (total.inserted, len(total.rejected)) == (3, 1)
    row = await _log(log.id)
    assert row["status"] == "completed"
    assert row["data_type"] == "jobs"
    assert row["sync_type"] == "manual"
    assert (row["records_processed"], row["records_successful"], row["records_failed"]) == (4, 3, 1)
    # the rejected record's page, and its position on the page counted from 1
    assert json.loads(row["error_details"])["rejected"] == [
        {"file": None, "page": 2, "record": 2, "id": None,
         "reason": "st_jobs.id = None rejected: has no id; ServiceTitan ids are positive integers"}
    ]
    state = await _state(conn, tenant)
    assert state["last_full_sync"] is not None
    assert state["last_incremental_sync"] is None
    assert (state["records_synced"], state["last_error"]) == (3, None)

    await run_sync(
        credential, StJob, [[job(2, modified_on="2025-06-01T00:00:00Z")]], full=False
    )
    after = await _state(conn, tenant)
    assert after["last_full_sync"] == state["last_full_sync"]
    assert after["last_incremental_sync"] > state["last_full_sync"]
    assert after["records_synced"] == 1


@pytest.fixture
async def refuse_job_666(conn, tenant):
    """A trigger that makes PostgreSQL refuse job 666 of this tenant."""
    await conn.execute(
        f"""
        CREATE FUNCTION pg_temp.refuse_job_666() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.tenant_id = {tenant} AND NEW.id = 666 THEN
                RAISE EXCEPTION 'job 666 refused';
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    await conn.execute(
        "CREATE TRIGGER refuse_job_666 BEFORE INSERT ON raw.st_jobs "
        "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_job_666()"
    )
    yield
    await conn.execute("DROP TRIGGER refuse_job_666 ON raw.st_jobs")


async def test_failure_mid_page_fails_the_log_and_writes_no_part_of_the_page(
    conn, credential, tenant, refuse_job_666
):
    pages = [list_page(job(1), job(2)), list_page(job(3), job(666), job(4), page=2)]
    with pytest.raises(asyncpg.RaiseError, match="job 666 refused"):
        await run_sync(credential, StJob, pages, full=True)
    assert await _job_ids(conn, tenant) == {1, 2}
    log = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    ).first()
    assert log["status"] == "failed"
    assert log["completed_at"] is not None
    assert "failed after 1 page(s): RaiseError: job 666 refused" in log["error_message"]
    assert json.loads(log["error_details"])["pages_done"] == 1
    assert (log["records_processed"], log["records_successful"]) == (2, 2)
    state = await _state(conn, tenant)
    assert "job 666 refused" in state["last_error"]
    assert state["last_full_sync"] is None


async def test_failure_while_reading_pages_fails_the_log(conn, credential, tenant):
    def pages():
        yield [job(1)]
        raise OSError("connection reset by ServiceTitan")

    with pytest.raises(OSError):
        await run_sync(credential, StJob, pages(), full=False)
    log = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    ).first()
    assert log["status"] == "failed"
    assert "OSError: connection reset by ServiceTitan" in log["error_message"]
    assert await _job_ids(conn, tenant) == {1}


async def test_a_credential_without_tenant_cannot_sync(credential):
    credential.tenant_id = None
    with pytest.raises(TenantNotConfigured, match="has no tenant_id"):
        await run_sync(credential, StJob, [[job(1)]], full=True)
    assert not await ServiceTitanSyncLog.exists().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    )


async def _wait_until_blocked_by(conn, blocker_pid: int) -> None:
    for _ in range(500):
        if await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
            blocker_pid,
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the sync run never waited on the blocking transaction")


async def test_a_run_cancelled_mid_page_fails_the_log(conn, credential, tenant):
    """The task is cancelled while its second page waits on a row lock: the
    log and raw.sync_state still record the failure, and the
    CancelledError goes on to the caller."""
    blocker = conn.transaction()
    await blocker.start()
    try:
        await StJob.upsert(tenant, [job(3)], connection=conn)  # uncommitted: locks job 3
        run = asyncio.create_task(
            run_sync(credential, StJob, [list_page(job(1), job(2)), list_page(job(3), page=2)],
                     full=True)
        )
        await _wait_until_blocked_by(conn, conn.get_server_pid())
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    finally:
        await blocker.rollback()
    log = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    ).first()
    assert log["status"] == "failed"
    assert log["completed_at"] is not None
    assert "failed after 1 page(s): cancelled (CancelledError)" in log["error_message"]
    assert json.loads(log["error_details"])["exception"] == "CancelledError"
    assert (log["records_processed"], log["records_successful"]) == (2, 2)
    assert "cancelled" in (await _state(conn, tenant))["last_error"]
    assert await _job_ids(conn, tenant) == {1, 2}


async def test_a_run_interrupted_while_reading_pages_fails_the_log(conn, credential, tenant):
    def pages():
        yield [job(1)]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await run_sync(credential, StJob, pages(), full=False)
    log = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    ).first()
    assert log["status"] == "failed"
    assert "failed after 1 page(s): interrupted (KeyboardInterrupt)" in log["error_message"]
    assert "interrupted" in (await _state(conn, tenant))["last_error"]
