"""The schedule: every feed of every credential with a tenant id, of an
active company, not in ``error``, due its period after its last run started
and, once caught up, not before its rest is over; never queued twice."""

from __future__ import annotations

from servicetitan.tables import ServiceTitanSyncLog
from servicetitan.worker.queue import data_type, queue_sync
from servicetitan.worker.schedule import queue_due_feeds, schedule
from servicetitan.worker.settings import FEEDS, Settings
from tests.support.history import clock_guard_off


def settings(**environ) -> Settings:
    return Settings.from_environment(
        {"SERVICETITAN_SYNC_EVERY": "600", "SERVICETITAN_CAUGHT_UP_REST": "300", **environ}
    )


async def feeds_of(conn, credential, s: Settings):
    return {f.feed: f for f in await schedule(conn, s) if f.credential_id == str(credential.id)}


async def run(conn, credential, feed, status, started_ago: float, took: float = 1):
    """A finished sync log of ``feed``, started ``started_ago`` seconds ago
    by the database's clock (a time no SQL may write: tests.support.history)."""
    log = await ServiceTitanSyncLog.start(credential.id, "scheduled", data_type(feed))
    async with clock_guard_off(conn):
        await conn.execute(
            """
            UPDATE servicetitan_sync_logs
            SET started_at = now() AT TIME ZONE 'UTC' - make_interval(secs => $2),
                completed_at = CASE WHEN $3 = 'running' THEN NULL
                               ELSE now() AT TIME ZONE 'UTC' - make_interval(secs => $2 - $4) END,
                status = $3
            WHERE id = $1
            """,
            log.id,
            started_ago,
            status,
            took,
        )


async def test_a_credential_never_synced_is_due_on_every_feed(conn, credential):
    feeds = await feeds_of(conn, credential, settings())
    assert sorted(feeds) == sorted(FEEDS)
    assert all(f.due and f.last_started_at is None and f.job_status is None for f in feeds.values())


async def test_a_feed_is_due_its_period_after_its_last_run_started(conn, credential):
    await run(conn, credential, "jobs", "failed", started_ago=590)
    await run(conn, credential, "customers", "failed", started_ago=610)
    feeds = await feeds_of(conn, credential, settings())
    assert not feeds["jobs"].due and feeds["jobs"].last_status == "failed"
    assert feeds["customers"].due
    # its own period
    feeds = await feeds_of(conn, credential, settings(SERVICETITAN_SYNC_EVERY_JOBS="500"))
    assert feeds["jobs"].due


async def test_a_caught_up_feed_rests_after_it_caught_up(conn, credential):
    # started 610 s ago, caught up 250 s ago: rests until 300 s after that
    await run(conn, credential, "jobs", "completed", started_ago=610, took=360)
    caught_up = await conn.fetchval(
        """
        INSERT INTO raw.sync_state (tenant_id, table_name, continue_from, caught_up_at)
        VALUES ($1, 'st_jobs', 'opaque', now() - interval '250 seconds')
        RETURNING caught_up_at
        """,
        credential.tenant_id,
    )
    feeds = await feeds_of(conn, credential, settings())
    assert not feeds["jobs"].due
    assert (feeds["jobs"].due_at - caught_up).total_seconds() == 300
    feeds = await feeds_of(conn, credential, settings(SERVICETITAN_CAUGHT_UP_REST="200"))
    assert feeds["jobs"].due
    # a feed not caught up (more pages to read) is due after its period alone
    await conn.execute(
        "UPDATE raw.sync_state SET caught_up_at = NULL WHERE tenant_id = $1",
        credential.tenant_id,
    )
    feeds = await feeds_of(conn, credential, settings())
    assert feeds["jobs"].due


async def test_a_rejected_credential_is_scheduled_again_once_its_secret_changes(conn, credential):
    await credential.record_connection_failure("invalid_client", rejected=True)
    assert await feeds_of(conn, credential, settings()) == {}
    await credential.change(client_secret="a-new-secret")
    status = await conn.fetchval(
        "SELECT connection_status FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert status == "inactive"
    assert await feeds_of(conn, credential, settings())


async def test_only_the_feeds_configured_are_scheduled(conn, credential):
    feeds = await feeds_of(conn, credential, settings(SERVICETITAN_SYNC_FEEDS="jobs,invoices"))
    assert sorted(feeds) == ["invoices", "jobs"]


async def test_credentials_in_error_without_tenant_or_of_an_inactive_company_are_not_scheduled(
    conn, credential, company
):
    assert await feeds_of(conn, credential, settings())
    await credential.change(connection_status="error")
    assert await feeds_of(conn, credential, settings()) == {}
    await credential.change(connection_status="active")  # a test connection succeeded
    assert await feeds_of(conn, credential, settings())
    await company.change(is_active=False)
    assert await feeds_of(conn, credential, settings()) == {}
    await company.change(is_active=True)
    await credential.change(tenant_id=None)
    assert await feeds_of(conn, credential, settings()) == {}


async def test_due_feeds_are_queued_once(conn, credential, queued_jobs):
    queued_jobs.append(credential.id)
    s = settings()
    await run(conn, credential, "jobs", "completed", started_ago=5)
    await queue_due_feeds(s)
    feeds = await feeds_of(conn, credential, s)
    assert feeds["jobs"].job_status is None and not feeds["jobs"].due
    waiting = {name: f for name, f in feeds.items() if name != "jobs"}
    assert all(f.job_status == "todo" and not f.due for f in waiting.values())
    assert len({f.job_id for f in waiting.values()}) == len(FEEDS) - 1
    # the next tick queues nothing more, and neither does "sync now" of a waiting feed
    await queue_due_feeds(s)
    assert await queue_sync(credential.id, "customers", "manual") is None
    rows = await conn.fetch(
        "SELECT args, lock, queueing_lock, priority FROM procrastinate_jobs"
        " WHERE args ->> 'credential_id' = $1",
        str(credential.id),
    )
    assert len(rows) == len(FEEDS) - 1
    assert {r["lock"] for r in rows} == {f"servicetitan-sync:{credential.id}"}
    assert {r["priority"] for r in rows} == {0}
    # "sync now" of a feed with no job waiting goes ahead of the scheduled ones
    job_id = await queue_sync(credential.id, "jobs", "manual")
    priority = await conn.fetchval("SELECT priority FROM procrastinate_jobs WHERE id = $1", job_id)
    assert priority > 0
