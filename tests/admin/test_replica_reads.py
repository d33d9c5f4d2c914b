"""The admin with a read replica: the session's hot standby
(tests/support/standby.py) as the replica of the engine, as
DATABASE_REPLICA_URLS makes it. With the standby's replay paused it lacks
every write made since, so what a page shows says which server answered;
its statement log (log_statement = all) says what reached it.

Inspection reads (Piccolo Admin's lists, the own pages, schema health) come
from the standby; the session lookups, every write and the pages right
after a write from the primary; with the standby stopped, the primary
answers everything."""

from __future__ import annotations

import dataclasses
import re
import uuid
from contextlib import asynccontextmanager

from admin.read_routing import WROTE_AT_COOKIE
from tests.admin.support import asgi_client, csrf, form_to, log_in, submit
from tests.support.replica_fixtures import (  # noqa: F401  (fixtures)
    DATABASE,
    primary,
    replicated,
)

T = "/admin/api/tables"


@asynccontextmanager
async def replay_paused(replicated, standby, primary):
    """The standby caught up, then its replay paused; its lag bound raised
    to a minute meanwhile, so that the router still reads from it."""
    router = replicated.replicas
    previous = router.settings
    router.settings = dataclasses.replace(previous, max_lag=60.0)
    conn = await standby.connect(DATABASE)
    try:
        # A commit to replay (only a transaction that wrote has one): the lag
        # is then measured from its time, not unknown.
        probe = f"replayed_{uuid.uuid4().hex[:8]}"
        await primary.execute(f"CREATE TABLE {probe} (); DROP TABLE {probe}")
        await standby.catch_up(primary, DATABASE)
        (health,) = await router.measure_all()
        assert health.fit(router.settings.max_lag), health
        await conn.execute("SELECT pg_wal_replay_pause()")
        yield
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()
        router.settings = previous


def _as_if_the_bound_had_passed(client) -> None:
    client.cookies.delete(WROTE_AT_COOKIE)


async def test_inspection_reads_come_from_the_standby_and_the_rest_from_the_primary(
    replicated, standby, primary, admin_app, admin_username, known_credential
):
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential as C

    marker = uuid.uuid4().hex
    async with replay_paused(replicated, standby, primary), asgi_client(admin_app) as client:
        # Written on the primary while the standby replays nothing.
        company = await Company.create(name=f"Only on the primary {marker}")
        logged_in = await log_in(client, admin_username)  # a session only the primary has
        assert logged_in.status_code == 200, logged_in.text
        # Right after its own write (the login), the browser reads the primary.
        assert WROTE_AT_COOKIE in client.cookies
        listed = await client.get(f"{T}/companies/?name={marker}")
        assert [row["id"] for row in listed.json()["rows"]] == [str(company.id)]

        _as_if_the_bound_had_passed(client)
        log_before = len(standby.statements_logged())
        listed = await client.get(f"{T}/companies/?name={marker}")
        counted = await client.get(f"{T}/companies/count/?name={marker}")
        # Logged in (its session was looked up on the primary), and answered
        # by the standby, which lacks the company.
        assert listed.status_code == 200 and counted.status_code == 200, listed.text
        assert listed.json()["rows"] == [] and counted.json()["count"] == 0
        health = await client.get("/health/")
        assert health.status_code == 200
        assert "This page was read from <b>a standby</b>" in health.text
        assert "answers them (lag within 60.0 s)" in health.text
        credentials = await client.get("/inspect/credentials/")
        assert credentials.status_code == 200 and str(known_credential.id) in credentials.text
        reached = standby.statements_logged()[log_before:]
        assert marker in reached, "the list's SELECT did not reach the standby"
        assert "servicetitan_credential_overview" in reached and "migration" in reached
        # The partitions' estimates are the primary's (issue 19.11).
        assert "pg_inherits" not in reached
        assert "admin_sessions" not in reached and "piccolo_user" not in reached

        # A write and the page it leads to: on the primary.
        page = await client.get(f"/inspect/credentials/{known_credential.id}/")
        form = form_to(page.text, "/status/")
        before = form.fields["connection_status"]
        after = "error" if before != "error" else "active"
        done = await submit(client, form, connection_status=after)
        assert done.status_code == 303, done.text
        shown = await client.get(done.headers["location"])
        assert form_to(shown.text, "/status/").fields["connection_status"] == after
        renamed = await client.patch(
            f"{T}/companies/{company.id}/",
            json={"name": f"Renamed {marker}"},
            headers=csrf(client),
        )
        assert renamed.status_code == 200, renamed.text
        assert (await client.get(f"{T}/companies/{company.id}/")).json()["name"] == (
            f"Renamed {marker}"
        )
        # Once the bound has passed, the standby answers again: as it was.
        _as_if_the_bound_had_passed(client)
        stale = await client.get(f"/inspect/credentials/{known_credential.id}/")
        assert form_to(stale.text, "/status/").fields["connection_status"] == before
        written = re.findall(
            r"\b(INSERT|UPDATE|DELETE)\b", standby.statements_logged()[log_before:]
        )
        assert written == [], "a write reached the standby"
    await C.update({C.connection_status: before}).where(C.id == known_credential.id)
    await Company.delete().where(Company.id == company.id)


async def test_the_admin_works_with_the_standby_stopped(
    replicated, standby, admin_app, admin_username, known_credential
):
    async with asgi_client(admin_app) as client:
        assert (await log_in(client, admin_username)).status_code == 200
        _as_if_the_bound_had_passed(client)
        standby.stop()
        try:
            for path in (
                f"{T}/companies/",
                f"{T}/companies/count/",
                "/inspect/credentials/",
                f"/inspect/credentials/{known_credential.id}/",
                "/health/",
            ):
                response = await client.get(path)
                assert response.status_code == 200, (path, response.text)
            assert "This page was read from <b>the primary</b>" in response.text
            assert "unreachable" in response.text  # what the router found
        finally:
            standby.start()
            await standby.wait_streaming(DATABASE)


async def test_a_month_never_analyzed_shows_its_rows_on_the_health_page_read_from_a_standby(
    replicated, standby, primary, admin_app, admin_username
):
    """Issue 19.11: the estimate of a month autovacuum has not analyzed yet
    comes from the cumulative statistics, which a standby keeps of its own:
    read there, the page said 0 rows. The partitions are read on the primary."""
    month, rows = "2047_03", 120
    company = await primary.fetchval("INSERT INTO companies (name) VALUES ('Month') RETURNING id")
    await primary.execute("SELECT create_messages_partition('2047-03-01')")
    await primary.execute(f"ALTER TABLE messages_{month} SET (autovacuum_enabled = false)")
    try:
        await primary.execute(
            "INSERT INTO messages (company_id, phone, direction, created_at)"
            " SELECT $1, '79001234567', 'incoming', '2047-03-02'::timestamptz + n * interval '1 s'"
            " FROM generate_series(1, $2) AS n",
            company,
            rows,
        )
        estimate = f"SELECT public.estimated_rows('messages_{month}'::regclass)"
        # The primary's statistics see the rows once its backend flushes them.
        for _ in range(100):
            if await primary.fetchval(estimate) == rows:
                break
            await primary.execute("SELECT pg_stat_force_next_flush()")
        assert await primary.fetchval(estimate) == rows
        async with replay_paused(replicated, standby, primary):
            standby_conn = await standby.connect(DATABASE)
            try:
                assert await standby_conn.fetchval(estimate) == 0  # what the standby knows
            finally:
                await standby_conn.close()
            async with asgi_client(admin_app) as client:
                assert (await log_in(client, admin_username)).status_code == 200
                _as_if_the_bound_had_passed(client)
                page = (await client.get("/health/")).text
        assert "This page was read from <b>a standby</b>" in page
        assert f"<td>messages_{month}</td>" in page
        shown = re.search(
            rf"<td>messages_{month}</td><td>[^<]*</td><td class=\"number\">([^<]*)<", page
        )
        assert shown[1] == f"≈ {rows}", shown[0]
    finally:
        await primary.execute(f"DROP TABLE messages_{month}")
        await primary.execute("DELETE FROM companies WHERE id = $1", company)
