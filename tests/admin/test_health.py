"""The schema-health page's parts, read from the real objects: the messages
partitions, raw.sync_state after real sync runs, the sync logs. Changes a
test makes to see a part move happen in a transaction that is rolled back."""

from contextlib import asynccontextmanager
from datetime import datetime, timezone

from piccolo.conf.apps import Finder

from admin import health
from tests.admin.support import month_start
from tests.support.history import clock_guard_off


@asynccontextmanager
async def rolled_back(conn):
    transaction = conn.transaction()
    await transaction.start()
    try:
        yield conn
    finally:
        await transaction.rollback()


async def test_every_migration_is_applied_after_forwards_all(conn):
    apps = await health.migrations_by_app(conn, Finder().get_app_configs())
    assert {a.app_name for a in apps} == {a.app_name for a in Finder().get_app_configs()}
    for app in apps:
        assert not app.pending and not app.unknown, app
        assert [m for m, _ in app.applied] == health.migration_ids(
            Finder().get_app_config(app.app_name)
        )


async def test_a_migration_not_run_is_pending_and_a_stray_row_is_unknown(conn):
    admin_app = Finder().get_app_config("admin")
    newest = health.migration_ids(admin_app)[-1]
    async with rolled_back(conn):
        await conn.execute("DELETE FROM migration WHERE app_name = 'admin' AND name = $1", newest)
        await conn.execute(
            "INSERT INTO migration (app_name, name, ran_on) VALUES ('admin', 'gone', now())"
        )
        [report] = await health.migrations_by_app(conn, [admin_app])
    assert report.pending == [newest]
    assert report.unknown == ["gone"]


# This month's partition and the 5 ahead, as maintenance makes them.
MONTHS_AHEAD = (
    "SELECT create_messages_partition(messages_month_start(ahead)::date)"
    " FROM generate_series(0, 5) AS ahead"
)


async def _message_at(conn, created_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO messages (company_id, phone, direction, created_at)"
        " SELECT id, '79001234567', 'incoming', $1 FROM companies LIMIT 1",
        created_at,
    )


async def test_the_messages_partitions_with_their_bounds_rows_sizes_and_months_ahead(
    conn, known_credential
):
    current = f"messages_{month_start(0):%Y_%m}"
    # A month ahead that other tests leave empty: one page, whatever is added.
    ahead = f"messages_{month_start(4):%Y_%m}"
    async with rolled_back(conn):
        await conn.execute(MONTHS_AHEAD)
        await _message_at(conn, month_start(4))
        await conn.execute(f"ANALYZE {ahead}")  # what autovacuum does
        before = await health.messages_partitions(conn)
        counted = await conn.fetchval(f"SELECT count(*) FROM {ahead}")
        await _message_at(conn, month_start(4))
        # A month far ahead has no partition: its message lands in DEFAULT.
        await _message_at(conn, month_start(60))
        after = await health.messages_partitions(conn)
        await conn.execute(f"ANALYZE {ahead}")
        analyzed = await health.messages_partitions(conn)
    by_name = {p.name: p for p in after.partitions}
    assert {f"messages_{month_start(n):%Y_%m}" for n in range(6)} | {"messages_default"} <= set(
        by_name
    )
    assert by_name[current].lower == month_start(0) and by_name[current].upper == month_start(1)
    assert by_name[current].bounds.startswith("FOR VALUES FROM (")
    assert by_name[current].size_bytes > 0 and by_name[current].size
    assert by_name["messages_default"].is_default
    # A month's rows are the catalog's estimate: not counted, so the message
    # just written shows once ANALYZE has seen it. DEFAULT's are counted.
    old = {p.name: p.rows for p in before.partitions}
    assert old[ahead] == counted and not by_name[ahead].exact
    assert by_name[ahead].rows == counted
    assert {p.name: p.rows for p in analyzed.partitions}[ahead] == counted + 1
    assert by_name["messages_default"].exact and not by_name["messages_default"].at_cap
    assert after.default_rows == before.default_rows + 1 == by_name["messages_default"].rows
    assert after.current_month_covered and after.months_ahead >= 5


async def test_a_gap_ends_the_months_ahead_and_an_uncovered_month_is_flagged(conn):
    async with rolled_back(conn):
        await conn.execute(MONTHS_AHEAD)
        await conn.execute(f"DROP TABLE messages_{month_start(3):%Y_%m}")
        report = await health.messages_partitions(conn)
        long_ago = await health.messages_partitions(
            conn, now=datetime(2000, 1, 15, tzinfo=timezone.utc)
        )
    assert report.months_ahead == 2  # the two months before the gap
    assert not long_ago.current_month_covered and long_ago.months_ahead == 0


async def test_no_messages_table_is_reported_as_missing(conn):
    """On a database where the business app is not migrated (the name is
    one that does not exist here)."""
    assert await health.messages_partitions(conn, table="public.no_such_messages") is None


async def test_the_last_sync_per_tenant_and_table_from_a_real_sync(conn, synced_tenant):
    rows = [r for r in await health.sync_state(conn) if r["tenant_id"] == synced_tenant]
    by_table = {r["table_name"]: r for r in rows}
    assert set(by_table) == {"st_jobs", "st_locations"}
    jobs, locations = by_table["st_jobs"], by_table["st_locations"]
    assert jobs["last_full_sync"] and jobs["last_incremental_sync"] is None
    assert (jobs["records_synced"], jobs["last_error"]) == (3, None)
    assert "429 Too Many Requests" in locations["last_error"]
    assert locations["last_incremental_sync"] is None  # it never finished


async def test_no_sync_state_table_is_reported_as_missing(conn):
    """As on a database without the servicetitan app's raw schema."""
    assert await health.sync_state(conn, table="raw.no_such_sync_state") is None


async def test_failed_syncs_of_the_last_24_hours_only(conn, failed_log, known_credential):
    async with rolled_back(conn), clock_guard_off(conn):
        # An old failure and a recent success, which the report leaves out.
        await conn.execute(
            """
            INSERT INTO servicetitan_sync_logs
                (servicetitan_credential_id, sync_type, data_type, status, started_at,
                 completed_at, error_message)
            VALUES ($1, 'manual', 'customers', 'failed',
                    (now() AT TIME ZONE 'UTC') - interval '25 hours',
                    (now() AT TIME ZONE 'UTC') - interval '25 hours', 'old failure'),
                   ($1, 'manual', 'customers', 'completed',
                    now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', NULL)
            """,
            known_credential.id,
        )
        rows = await health.failed_sync_logs(conn)
    assert failed_log.id in [r["id"] for r in rows]
    assert "old failure" not in [r["error_message"] for r in rows]
    mine = next(r for r in rows if r["id"] == failed_log.id)
    assert mine["environment"] == "production" and mine["company"].startswith("Admin Test")


async def test_the_page_shows_each_part(client, failed_log, synced_tenant):
    response = await client.get("/health/")
    assert response.status_code == 200
    page = response.text
    assert "months ahead covered" in page and "messages_default" in page
    assert f"<td>{synced_tenant}</td><td>st_jobs</td>" in page
    assert "429 Too Many Requests" in page
    assert f'href="/inspect/sync-logs/{failed_log.id}/"' in page
    assert 'href="/static/admin.css"' in page and 'id="nav"' in page  # the admin's look
    assert failed_log.error_message in page
    for app in Finder().get_app_configs():
        assert f"<td>{app.app_name}</td>" in page
    # No replica here (tests/admin/test_replica_reads.py has one).
    assert "This page was read from <b>the primary</b>" in page
    assert "no replica configured (DATABASE_REPLICA_URLS)" in page
