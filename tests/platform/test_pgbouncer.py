"""The application through PgBouncer in transaction pooling mode
(tests/support/pgbouncer.py): more clients than server connections, so
consecutive transactions of one client land on different server
connections and one client's session state meets the next client.

The engine under test is the one piccolo_conf builds when ``DATABASE_URL``
is the pooler and ``DATABASE_DIRECT_URL`` the server itself."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from unittest import mock

import asyncpg
import pytest

from business.tables import Company, Message
from platform_db.database.engine import engine_config
from platform_db.database.pooler import PooledConnection, behind_pooler, pooled_settings
from platform_db.database.replicas import ReplicatedEngine
from platform_db.database.urls import database_name
from servicetitan.cache.bulk_upsert import sql_for, staging_name
from servicetitan.cache.raw_tables import StJob
from servicetitan.cache.records import layout_for
from servicetitan.sync.run import run_sync
from servicetitan.tables import ServiceTitanCredential
from tests.admin.support import asgi_client, create_admin_user, csrf, log_in
from tests.conftest import SERVER_URL, TEST_DATABASE_URL
from tests.harness.test_cli import PICCOLO, PROJECT
from tests.servicetitan.records import job, new_tenant
from tests.support.commands import (
    ROLLBACK_PATHS,
    SERVICETITAN_TESTED_NEWEST,
    SERVICETITAN_TWO_NEWEST,
    as_newest,
    run_piccolo,
)
from tests.support.databases import connect, piccolo_using
from tests.support.pgbouncer import PGBOUNCER, SERVER_CONNECTIONS, start_pgbouncer

DATABASE = database_name(TEST_DATABASE_URL)
CLIENTS = 8


@pytest.fixture(scope="module")
async def pgbouncer(migrated):
    if PGBOUNCER is None:
        message = "no pgbouncer: scripts/test installs Debian's `pgbouncer` package when run as root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    bouncer = await start_pgbouncer(SERVER_URL)
    yield bouncer
    bouncer.stop()


def pooled_environment(bouncer) -> dict:
    return {"DATABASE_URL": bouncer.url(DATABASE), "DATABASE_DIRECT_URL": TEST_DATABASE_URL}


@pytest.fixture(scope="module")
async def pooled(pgbouncer):
    """Piccolo's engine as piccolo_conf makes it for a pooled DATABASE_URL,
    with a pool of more clients than the pooler has server connections."""
    with mock.patch.dict(os.environ, pooled_environment(pgbouncer)):
        engine = ReplicatedEngine(config=engine_config(pgbouncer.url(DATABASE)), extra_nodes={})
    assert engine.config["statement_cache_size"] == 0
    with piccolo_using(engine):
        await engine.start_connection_pool(min_size=CLIENTS, max_size=CLIENTS)
        try:
            yield engine
        finally:
            await engine.close_connection_pool()


async def test_clients_share_a_few_server_connections(pooled):
    async def backend(_):
        async with pooled.pool.acquire() as conn:
            await asyncio.sleep(0.01)
            return await conn.fetchval("SELECT pg_backend_pid()")

    backends = set(await asyncio.gather(*map(backend, range(CLIENTS))))
    assert 1 <= len(backends) <= SERVER_CONNECTIONS
    async with pooled.pool.acquire() as conn:
        assert await behind_pooler(conn)
    direct = await connect(TEST_DATABASE_URL)
    try:
        assert not await behind_pooler(direct)
    finally:
        await direct.close()


def test_a_direct_url_alone_is_not_taken_for_a_pooler():
    assert pooled_settings({"DATABASE_URL": "postgresql://db/x"}) == {}
    assert pooled_settings(
        {"DATABASE_URL": "postgresql://db/x", "DATABASE_DIRECT_URL": "postgresql://db/x"}
    ) == {}
    assert pooled_settings(
        {"DATABASE_URL": "postgresql://bouncer:6432/x", "DATABASE_DIRECT_URL": "postgresql://db/x"}
    ) == {"statement_cache_size": 0, "connection_class": PooledConnection}


async def test_orm_reads_writes_and_transactions(pooled):
    async def lifecycle(number: int):
        company = await Company.create(name=f"Pooled {number} {uuid.uuid4().hex[:6]}")
        await company.change(address=f"Street {number}")
        found = await Company.select(Company.address).where(Company.id == company.id).first()
        assert found == {"address": f"Street {number}"}
        async with pooled.transaction():
            await Company.update({Company.is_active: False}).where(Company.id == company.id)
            assert not (await Company.objects().get(Company.id == company.id)).is_active
        with pytest.raises(RuntimeError):
            async with pooled.transaction():
                await Company.delete().where(Company.id == company.id)
                raise RuntimeError("roll it back")
        assert await Company.exists().where(Company.id == company.id)
        await Company.delete().where(Company.id == company.id)
        return await Company.exists().where(Company.id == company.id)

    assert await asyncio.gather(*map(lifecycle, range(CLIENTS))) == [False] * CLIENTS


async def test_message_insert_bulk(pooled):
    company = await Company.create(name="Pooled messages")
    batch = [
        {"company_id": company.id, "phone": "79001234567", "direction": "incoming",
         "content": f"message {n}"}
        for n in range(50)
    ]
    counts = await asyncio.gather(*(Message.insert_bulk(batch) for _ in range(4)))
    assert counts == [50] * 4
    assert await Message.count().where(Message.company == company.id) == 200
    await Company.delete().where(Company.id == company.id)


async def test_upsert_and_sync_runs_with_their_session_staging_table(pooled):
    """The staging table is a session's temporary table: created, filled and
    merged in one transaction, whichever server connection that runs on."""
    tenants = [new_tenant() for _ in range(4)]
    first = await asyncio.gather(*(StJob.upsert(t, [job(1), job(2), job(3)]) for t in tenants))
    assert [(r.inserted, r.updated) for r in first] == [(3, 0)] * 4
    again = await asyncio.gather(
        *(StJob.upsert(t, [job(1), job(2, modified_on="2025-04-01T00:00:00Z")]) for t in tenants)
    )
    assert [(r.inserted, r.updated, r.unchanged) for r in again] == [(0, 1, 1)] * 4

    async def sync(number: int):
        company = await Company.create(name=f"Pooled sync {number}")
        credential = await ServiceTitanCredential.register(
            company.id, "integration", f"client-{number}", "secret"
        )
        await credential.change(tenant_id=new_tenant())
        log, result = await run_sync(credential, StJob, [[job(1), job(2)], [job(3)]], full=True)
        return log.status, result.inserted

    # A run's locks are session locks: on the server itself, as docs/scaling.md says.
    with mock.patch.dict(os.environ, {"DATABASE_DIRECT_URL": TEST_DATABASE_URL}):
        assert await asyncio.gather(*map(sync, range(3))) == [("completed", 3)] * 3


async def on_every_server_session(pgbouncer, *statements: str) -> None:
    """Run ``statements`` on each of the pooler's server connections: as
    many clients as it has, each holding one in a transaction at once."""
    clients = [
        await asyncpg.connect(pgbouncer.url(DATABASE), statement_cache_size=0)
        for _ in range(SERVER_CONNECTIONS)
    ]
    try:
        transactions = [client.transaction() for client in clients]
        for client, transaction in zip(clients, transactions):
            await transaction.start()
            for statement in statements:
                await client.execute(statement)
        backends = {await client.fetchval("SELECT pg_backend_pid()") for client in clients}
        assert len(backends) == SERVER_CONNECTIONS
        for transaction in transactions:
            await transaction.commit()
    finally:
        for client in clients:
            await client.close()


async def test_upserts_go_on_where_a_server_session_kept_an_older_staging_table(
    pgbouncer, pooled
):
    """Every server session holds the staging table an older release left,
    of the shape before ``full_data_digest``: under the name that release
    used, and under the name this one gives that shape. Upserts through the
    pooler land all the same (they failed with UndefinedColumnError until
    PgBouncer recycled the session)."""
    layout = layout_for(StJob)
    older = [c for c in layout.columns if c != "full_data_digest"]
    older_shape = [(c, StJob._meta.get_column_by_name(c).column_type) for c in older]
    names = ["stage_st_jobs", staging_name("st_jobs", older_shape)]
    await on_every_server_session(
        pgbouncer,
        *(
            f"DROP TABLE IF EXISTS pg_temp.{name}; "
            f"CREATE TEMP TABLE {name} ON COMMIT DELETE ROWS AS "
            f"SELECT {', '.join(older)} FROM raw.st_jobs WITH NO DATA"
            for name in names
        ),
    )
    try:
        tenants = [new_tenant() for _ in range(4)]
        first = await asyncio.gather(*(StJob.upsert(t, [job(1), job(2)]) for t in tenants))
        assert [(r.inserted, r.rejected) for r in first] == [(2, [])] * 4
        again = await asyncio.gather(
            *(StJob.upsert(t, [job(1), job(2, modified_on="2025-04-01T00:00:00Z")]) for t in tenants)
        )
        assert [(r.updated, r.unchanged) for r in again] == [(1, 1)] * 4
        assert sql_for(StJob).staging not in names
    finally:
        await on_every_server_session(
            pgbouncer, *(f"DROP TABLE IF EXISTS pg_temp.{name}" for name in names)
        )


async def test_get_recent_messages_with_prepared_statements_off(pooled, pgbouncer):
    """One client's statement prepared on one server connection, then run on
    another: with asyncpg's statement cache that fails ("prepared statement
    does not exist"); the pooled engine prepares nothing by name."""
    company = await Company.create(name="Pooled recent")
    await Message.insert_bulk(
        [{"company_id": company.id, "phone": "79007654321", "direction": "incoming"}] * 3
    )
    sql = "SELECT * FROM public.get_recent_messages($1, $2, $3)"
    args = ("79007654321", company.id, 10)
    holders = [
        await asyncpg.connect(pgbouncer.url(DATABASE), statement_cache_size=0) for _ in range(2)
    ]
    cached = await asyncpg.connect(pgbouncer.url(DATABASE))  # asyncpg's default cache
    try:

        async def hold(conn) -> int:
            await conn.execute("BEGIN")
            return await conn.fetchval("SELECT pg_backend_pid()")

        async def moved(run) -> None:
            """``run()`` once with one server connection taken, then again
            with only the other one free."""
            await hold(holders[0])
            await run()
            await hold(holders[1])
            await holders[0].execute("COMMIT")
            try:
                await run()
            finally:
                await holders[1].execute("COMMIT")

        with pytest.raises(asyncpg.InvalidSQLStatementNameError, match="does not exist"):
            await moved(lambda: cached.fetch(sql, *args))

        async def recent():
            assert len(await Message.recent(*args[:2])) == 3

        await moved(recent)
    finally:
        for conn in (*holders, cached):
            await conn.close()
    await Company.delete().where(Company.id == company.id)


async def test_session_settings_the_pooler_keeps_and_the_one_it_refuses(pooled, pgbouncer):
    """timezone and application_name are startup settings PgBouncer sets
    again for each client, also after a pooled connection was taken back by
    asyncpg's pool (whose RESET ALL would make them the server's defaults);
    one it does not keep is refused at connect."""
    tokyo = await asyncpg.connect(
        pgbouncer.url(DATABASE), statement_cache_size=0,
        server_settings={"timezone": "Asia/Tokyo", "application_name": "elsewhere"},
    )
    try:
        for _ in range(5):
            assert (await Company.raw("SHOW timezone"))[0]["TimeZone"] == "UTC"
            assert await tokyo.fetchval("SHOW timezone") == "Asia/Tokyo"
            assert (await Company.raw("SHOW application_name"))[0] == {
                "application_name": "platform-data"
            }
    finally:
        await tokyo.close()
    with pytest.raises(asyncpg.ProtocolViolationError, match="unsupported startup parameter"):
        await asyncpg.connect(pgbouncer.url(DATABASE), server_settings={"lock_timeout": "5s"})


def migrate(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, "platform", "migrate"], cwd=PROJECT, capture_output=True, text=True,
        timeout=120, env={**os.environ, "PLATFORM_DB_QUIET": "1", **env},
    )


async def test_migrate_refuses_the_pooler_and_runs_on_the_direct_url(pgbouncer):
    through_pooler = migrate({"DATABASE_URL": pgbouncer.url(DATABASE)})
    assert through_pooler.returncode == 1
    assert "needs a PostgreSQL session of its own" in through_pooler.stderr
    assert "set DATABASE_DIRECT_URL to the server's own address" in through_pooler.stderr
    assert through_pooler.stderr.count("\n") == 1, through_pooler.stderr

    direct = migrate(pooled_environment(pgbouncer))
    assert direct.returncode == 0, direct.stderr
    assert "nothing left to do" in direct.stdout


async def test_the_refusal_names_the_pooler_without_its_password(migrated):
    # A pooler of its own: a server session another client left a named
    # statement on fails the command's first query before it can refuse.
    if PGBOUNCER is None:
        pytest.skip("no pgbouncer")
    bouncer = await start_pgbouncer(SERVER_URL)
    secret = "s3cr3t-pw"
    try:
        refused = migrate({"DATABASE_URL": f"{bouncer.url(DATABASE)}?password={secret}"})
    finally:
        bouncer.stop()
    assert refused.returncode == 1, refused.stderr
    assert f"({bouncer.url(DATABASE)}?password=***) goes through" in refused.stderr
    assert secret not in refused.stderr


async def test_migrate_refuses_a_pooler_that_lets_its_settings_through(migrated):
    """A pooler told to ignore lock_timeout accepts the connection: migrate
    sees that its queries run on another backend than the one it was told."""
    if PGBOUNCER is None:
        pytest.skip("no pgbouncer")
    lenient = await start_pgbouncer(SERVER_URL, ignore_startup_parameters="lock_timeout")
    try:
        refused = migrate({
            "DATABASE_URL": TEST_DATABASE_URL, "DATABASE_DIRECT_URL": lenient.url(DATABASE),
        })
    finally:
        lenient.stop()
    assert refused.returncode == 1
    assert "but DATABASE_DIRECT_URL (postgresql://postgres@127.0.0.1:" in refused.stderr
    assert "goes through a transaction pooler" in refused.stderr


async def test_the_admin_through_the_pooler(pooled):
    from admin.app import create_app

    company = await Company.create(name="Pooled admin salon")
    username = await create_admin_user()
    async with asgi_client(create_app()) as client:
        assert (await log_in(client, username)).status_code == 200
        rows = await client.get("/admin/api/tables/companies/", params={"id": str(company.id)})
        assert rows.status_code == 200 and rows.json()["rows"][0]["name"] == "Pooled admin salon"
        changed = await client.patch(
            f"/admin/api/tables/companies/{company.id}/",
            json={"address": "Via the pooler"}, headers=csrf(client),
        )
        assert changed.status_code == 200, changed.text
        health = await client.get("/health/")
        assert health.status_code == 200 and "Migrations" in health.text
    assert (await Company.objects().get(Company.id == company.id)).address == "Via the pooler"
    await Company.delete().where(Company.id == company.id)


@pytest.mark.parametrize("command", SERVICETITAN_TWO_NEWEST, ids=ROLLBACK_PATHS)
async def test_a_rollback_outside_a_transaction_leaves_nothing_on_pooled_sessions(
    pgbouncer, migrated_copy, command
):
    """Issue 19 item 1: reversing a migration declared
    wrap_in_transaction=False (servicetitan's sync_log_data_type_assignments)
    took the apply lock and SET lock_timeout / statement_timeout on a
    connection through PgBouncer, whose server session outlives the client:
    the next deploy waited for a lock nobody released, and the application's
    transactions ran with the migration's timeouts. Every session-level lock
    and setting is on DATABASE_DIRECT_URL now."""
    url = migrated_copy()
    as_newest(url, "servicetitan", SERVICETITAN_TESTED_NEWEST)
    env = {"DATABASE_URL": pgbouncer.url(database_name(url)), "DATABASE_DIRECT_URL": url}
    done = run_piccolo(*command, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    direct = await connect(url)
    clients = [
        await asyncpg.connect(pgbouncer.url(database_name(url)), statement_cache_size=0)
        for _ in range(SERVER_CONNECTIONS)
    ]
    try:
        assert await direct.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ) == 0
        defaults = [await direct.fetchval(f"SHOW {name}") for name in SESSION_SETTINGS]
        for client in clients:  # each holds a server session of the pool while the others look
            await client.execute("BEGIN")
        for client in clients:
            assert [await client.fetchval(f"SHOW {name}") for name in SESSION_SETTINGS] == defaults
    finally:
        for client in clients:
            await client.close()
        await direct.close()
    again = run_piccolo("platform", "migrate", **env)
    assert again.returncode == 0, again.stdout + again.stderr
    for reapplied in ("sync_log_data_type_assignments", "cache_full_data_digest"):
        assert f"ok (servicetitan {reapplied})" in again.stdout, again.stdout


SESSION_SETTINGS = ("lock_timeout", "statement_timeout", "idle_session_timeout")
