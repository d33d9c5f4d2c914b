"""``sync_runs`` is a sync history (migration ``sync_runs_are_history``):
inserted running at the database's clock, finished only at that clock,
never changed once finished, deleted only with its tenant, never
truncated; whoever sends the SQL (the admin's PATCH failed -> completed
included)."""

import asyncpg
import pytest

from reporting.tables import SyncRun, Tenant
from tests.reporting.rows import insert, insert_tenant


@pytest.fixture
async def tenant(conn):
    tenant_id = await insert_tenant(conn)
    yield tenant_id
    await conn.execute("DELETE FROM tenants WHERE id = $1", tenant_id)


async def _run(conn, tenant) -> dict:
    run_id = await insert(conn, "sync_runs", tenant_id=tenant)
    return dict(await conn.fetchrow("SELECT * FROM sync_runs WHERE id = $1", run_id))


async def _finished(conn, tenant, status: str = "failed") -> dict:
    run = await _run(conn, tenant)
    await conn.execute(
        "UPDATE sync_runs SET status = $2, finished_at = now(), error_message = 'boom'"
        " WHERE id = $1",
        run["id"],
        status,
    )
    return dict(await conn.fetchrow("SELECT * FROM sync_runs WHERE id = $1", run["id"]))


@pytest.mark.parametrize("status", ["completed", "failed"])
async def test_a_finished_run_cannot_be_inserted(conn, tenant, status):
    with pytest.raises(asyncpg.RestrictViolationError, match="inserted running"):
        await conn.execute(
            "INSERT INTO sync_runs (tenant_id, status, started_at, finished_at)"
            " VALUES ($1, $2, now() - interval '400 days', now() - interval '399 days')",
            tenant,
            status,
        )


async def test_a_backdated_start_becomes_the_databases_clock(conn, tenant):
    run_id = await conn.fetchval(
        "INSERT INTO sync_runs (tenant_id, started_at) VALUES ($1, now() - interval '400 days')"
        " RETURNING id",
        tenant,
    )
    assert await conn.fetchval(
        "SELECT started_at > now() - interval '1 minute' FROM sync_runs WHERE id = $1", run_id
    )


async def test_a_finished_run_cannot_be_changed(conn, tenant):
    run = await _finished(conn, tenant)
    with pytest.raises(asyncpg.RestrictViolationError, match="finished run is history"):
        await conn.execute(
            "UPDATE sync_runs SET status = 'completed', error_message = NULL WHERE id = $1",
            run["id"],
        )
    assert dict(await conn.fetchrow("SELECT * FROM sync_runs WHERE id = $1", run["id"])) == run


async def test_a_run_finishes_only_at_the_databases_clock(conn, tenant):
    run = await _run(conn, tenant)
    with pytest.raises(asyncpg.RestrictViolationError, match="finished at the database's clock"):
        await conn.execute(
            "UPDATE sync_runs SET status = 'completed', finished_at = started_at + interval '1 day'"
            " WHERE id = $1",
            run["id"],
        )
    with pytest.raises(asyncpg.RestrictViolationError, match="tenant_id cannot change"):
        await conn.execute(
            "UPDATE sync_runs SET tenant_id = $2 WHERE id = $1",
            run["id"],
            await insert_tenant(conn),
        )


async def test_a_run_goes_only_with_its_tenant(conn, tenant):
    run = await _finished(conn, tenant, "completed")
    with pytest.raises(asyncpg.RestrictViolationError, match="cannot be deleted"):
        await conn.execute("DELETE FROM sync_runs WHERE id = $1", run["id"])
    with pytest.raises(asyncpg.RestrictViolationError, match="TRUNCATE is not allowed"):
        await conn.execute("TRUNCATE sync_runs CASCADE")
    await conn.execute("DELETE FROM tenants WHERE id = $1", tenant)
    assert await conn.fetchval("SELECT count(*) FROM sync_runs WHERE id = $1", run["id"]) == 0


async def test_the_orm_still_starts_a_run(conn, tenant):
    """Piccolo sends the host's time as the default: the database's wins."""
    run = await SyncRun.create(tenant=tenant)
    assert run.status == "running"
    assert await Tenant.exists().where(Tenant.id == tenant)
