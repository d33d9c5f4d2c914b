"""The schema-health page's parts, each read from the real catalog. Probe
tables are created inside a transaction that is rolled back."""

from contextlib import asynccontextmanager
from datetime import datetime, timezone

from piccolo.conf.apps import Finder

from admin import health


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
        assert [m for m, _ in app.applied] == health.migration_ids(Finder().get_app_config(app.app_name))


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


async def test_no_messages_table_is_reported_as_missing(conn):
    assert await health.messages_partitions(conn, table="public.no_such_messages") is None


MONTHS = ["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01",
          "2026-09-01"]
NOW = datetime(2026, 3, 15, 12, tzinfo=timezone.utc)


async def _probe_messages(conn, months=MONTHS):
    await conn.execute(
        "CREATE TABLE probe_messages (id bigint, created_at timestamptz NOT NULL)"
        " PARTITION BY RANGE (created_at)"
    )
    for start, end in zip(months, months[1:]):
        await conn.execute(
            f"CREATE TABLE probe_messages_{start[:7].replace('-', '_')} PARTITION OF probe_messages"
            f" FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    await conn.execute("CREATE TABLE probe_messages_default PARTITION OF probe_messages DEFAULT")


async def test_partitions_with_their_bounds_rows_sizes_and_months_ahead(conn):
    async with rolled_back(conn):
        await _probe_messages(conn)
        await conn.execute(
            "INSERT INTO probe_messages VALUES (1, '2026-03-20'), (2, '2026-03-21'),"
            " (3, '2026-05-02'), (4, '2030-01-01')"
        )
        report = await health.messages_partitions(conn, table="public.probe_messages", now=NOW)
    by_name = {p.name: p for p in report.partitions}
    assert len(by_name) == len(MONTHS)  # six months and the default
    march = by_name["probe_messages_2026_03"]
    assert march.rows == 2 and march.size_bytes > 0 and march.size
    assert march.lower == datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert march.bounds.startswith("FOR VALUES FROM (")
    assert by_name["probe_messages_default"].is_default
    assert report.current_month_covered
    assert report.months_ahead == 5  # April to August
    assert report.default_rows == 1


async def test_a_gap_ends_the_months_ahead_and_an_uncovered_month_is_flagged(conn):
    async with rolled_back(conn):
        await _probe_messages(conn)
        await conn.execute("DROP TABLE probe_messages_2026_06")
        report = await health.messages_partitions(conn, table="public.probe_messages", now=NOW)
        later = await health.messages_partitions(
            conn, table="public.probe_messages", now=datetime(2027, 1, 5, tzinfo=timezone.utc)
        )
    assert report.months_ahead == 2  # April, May
    assert report.default_rows == 0
    assert not later.current_month_covered and later.months_ahead == 0


async def test_sync_state_rows_or_none_without_the_table(conn):
    assert await health.sync_state(conn, table="raw.no_such_sync_state") is None
    async with rolled_back(conn):
        await conn.execute(
            "CREATE TABLE probe_sync_state (tenant_id bigint, table_name text,"
            " last_full_sync timestamptz, last_incremental_sync timestamptz,"
            " records_synced integer, last_error text)"
        )
        await conn.execute(
            "INSERT INTO probe_sync_state VALUES (7, 'st_jobs', now(), now(), 40, NULL),"
            " (3, 'st_locations', NULL, now(), 2, 'timeout')"
        )
        rows = await health.sync_state(conn, table="public.probe_sync_state")
    assert [(r["tenant_id"], r["table_name"], r["last_error"]) for r in rows] == [
        (3, "st_locations", "timeout"),
        (7, "st_jobs", None),
    ]


async def test_failed_syncs_of_the_last_24_hours_only(conn, failed_log, known_credential):
    async with rolled_back(conn):
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


async def test_the_page_shows_each_part(client, conn, failed_log):
    response = await client.get("/health/")
    assert response.status_code == 200
    page = response.text
    exists = "SELECT to_regclass($1) IS NOT NULL"
    if await conn.fetchval(exists, health.MESSAGES_TABLE):
        assert "months ahead covered" in page
    else:
        assert "no messages table" in page
    if await conn.fetchval(exists, health.SYNC_STATE_TABLE):
        assert "no raw.sync_state table" not in page
    else:
        assert "no raw.sync_state table" in page
    assert f"#/servicetitan_sync_logs/{failed_log.id}/" in page
    assert failed_log.error_message in page
    for app in Finder().get_app_configs():
        assert f"<td>{app.app_name}</td>" in page
