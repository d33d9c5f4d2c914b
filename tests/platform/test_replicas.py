"""Read replicas on real servers: the test server as primary, a hot standby
of it made with ``pg_basebackup -R`` (tests/support/standby.py), and the
engine of piccolo_conf with that standby as its replica. Each test asks the
server that answered who it is (``pg_is_in_recovery()``, its port)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import subprocess
import sys
import time
import uuid

import pytest

from business.tables import Company, Message
from platform_db.database.connection import fetch
from platform_db.database.engine import PROJECT_ROOT, engine_config
from platform_db.database.replicas import (
    ReplicaSettings,
    ReplicatedEngine,
    read,
    replica_nodes,
    replica_urls,
    stale_reads,
)
from servicetitan.cache.raw_tables import StJob
from servicetitan.sync.run import run_sync
from tests.conftest import TEST_DATABASE_URL
from tests.servicetitan.records import job, new_tenant
from tests.support.databases import piccolo_using
from tests.support.replica_fixtures import (  # noqa: F401  (fixtures)
    DATABASE,
    SETTINGS,
    primary,
    replicated,
)

WHO = "SELECT pg_is_in_recovery() AS on_standby, current_setting('port')::int AS port"
# What replay lag and catch-up took here: printed at the end of the run
# (tests/platform/conftest.py).
LAG_FIGURES: dict[str, float] = {}


async def who_answers() -> dict:
    """The server that answers a read allowed to be stale."""
    with stale_reads():
        return (await Company.raw(WHO))[0]


async def until(condition, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (result := await condition()):
        assert time.monotonic() < deadline, f"not so after {timeout}s"
        await asyncio.sleep(step)
    return result


async def answered_by_standby() -> bool:
    return (await who_answers())["on_standby"]


# --- configuration ---------------------------------------------------------


def test_replica_urls_are_read_from_the_environment():
    environ = {"DATABASE_REPLICA_URLS": " postgresql://r1/db , ,postgresql://u:pw@r2:6432/db "}
    assert replica_urls(environ) == ["postgresql://r1/db", "postgresql://u:pw@r2:6432/db"]
    assert replica_urls({}) == []
    with pytest.raises(ValueError, match=r"DATABASE_REPLICA_URLS holds 'r1:5432/db', which"):
        replica_urls({"DATABASE_REPLICA_URLS": "r1:5432/db"})


def test_replica_settings_are_read_from_the_environment_and_checked():
    assert ReplicaSettings.from_env({}) == ReplicaSettings(5.0, 2.0, 1.0)
    assert ReplicaSettings.from_env(
        {"DATABASE_REPLICA_MAX_LAG": "0.5", "DATABASE_REPLICA_CONNECT_TIMEOUT": "3"}
    ) == ReplicaSettings(0.5, 3.0, 1.0)
    for bad in ("soon", "0", "-1", "inf"):
        with pytest.raises(ValueError, match="DATABASE_REPLICA_MAX_LAG must be a number of "
                           f"seconds greater than 0, not '{bad}'"):
            ReplicaSettings.from_env({"DATABASE_REPLICA_MAX_LAG": bad})


def test_piccolo_conf_makes_each_replica_an_extra_node():
    script = (
        "import piccolo_conf\n"
        "for name, node in piccolo_conf.DB.extra_nodes.items():\n"
        "    print(name, node.config['dsn'], node.config['timeout'])\n"
    )
    env = {
        "DATABASE_REPLICA_URLS": "postgresql://a.example/db,postgresql://b.example/db",
        "DATABASE_REPLICA_CONNECT_TIMEOUT": "1.5",
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": TEST_DATABASE_URL,
        "PLATFORM_DB_QUIET": "1",
    }
    shown = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    assert shown == [
        "replica_1 postgresql://a.example/db 1.5",
        "replica_2 postgresql://b.example/db 1.5",
    ]


async def test_without_a_replica_every_read_runs_on_the_primary(migrated):
    engine = ReplicatedEngine(config=engine_config(TEST_DATABASE_URL), extra_nodes={})
    with piccolo_using(engine):
        assert (await who_answers())["on_standby"] is False
        rows = await fetch(Company, WHO, stale_ok=True)
        assert rows[0]["on_standby"] is False


# --- routing ---------------------------------------------------------------


async def test_a_stale_read_is_served_by_the_standby(replicated, standby):
    answer = await who_answers()
    assert answer == {"on_standby": True, "port": standby.port}
    # ... over a connection of the project (its application_name) to the test database.
    conn = await standby.connect("postgres")
    try:
        sessions = await conn.fetch(
            "SELECT application_name FROM pg_stat_activity WHERE datname = $1", DATABASE
        )
    finally:
        await conn.close()
    assert "platform-data" in {row["application_name"] for row in sessions}
    # Without stale_reads() the same read goes to the primary.
    assert (await Company.raw(WHO))[0]["on_standby"] is False


async def test_raw_sql_readers_choose_the_standby_too(replicated):
    assert (await fetch(Company, WHO, stale_ok=True))[0]["on_standby"] is True
    assert (await fetch(Company, WHO))[0]["on_standby"] is False

    async def who(conn):
        return await conn.fetchval("SELECT pg_is_in_recovery()")

    assert await read(who) is True


async def test_a_row_written_on_the_primary_is_read_on_the_standby_after_catch_up(
    replicated, standby, primary
):
    company = await Company.create(name=f"Replicated {uuid.uuid4().hex[:6]}")
    LAG_FIGURES["catch-up after one insert"] = await standby.catch_up(primary, DATABASE)
    assert await answered_by_standby()
    with stale_reads():
        found = await Company.select(Company.name).where(Company.id == company.id).first()
    assert found == {"name": company.name}


async def test_inside_a_transaction_reads_stay_on_the_primary(replicated):
    async with replicated.transaction():
        company = await Company.create(name="Not yet committed")
        with stale_reads():
            assert (await Company.raw(WHO))[0]["on_standby"] is False
            assert await Company.exists().where(Company.id == company.id)
            assert (await fetch(Company, WHO, stale_ok=True))[0]["on_standby"] is False
        await Company.delete().where(Company.id == company.id)


async def test_no_write_is_ever_sent_to_the_standby(replicated, standby, primary):
    """Every write path, even inside stale_reads(), runs on the primary: the
    standby's statement log (log_statement = all) shows none of them, while
    it shows the reads it was sent."""
    await standby.catch_up(primary, DATABASE)
    assert await answered_by_standby()
    log_before = len(standby.statements_logged())
    marker = f"marker-{uuid.uuid4().hex}"
    tenant = new_tenant()
    with stale_reads():
        company = await Company.create(name=f"Writes {marker}")
        await Company.update({Company.name: f"Renamed {marker}"}).where(Company.id == company.id)
        locked = await Company.select(Company.id).where(Company.id == company.id).lock_rows()
        assert locked == [{"id": company.id}]
        await Message.insert_bulk(
            [{"company_id": company.id, "phone": "79001234567", "direction": "incoming"}]
        )
        await StJob.upsert(tenant, [job(1), job(2)])
        await Company.raw(f"SELECT '{marker}' AS marker")
        await Company.delete().where(Company.id == company.id)
    reached = standby.statements_logged()[log_before:]
    assert marker in reached, "the read in stale_reads() did not reach the standby"
    written = re.findall(r"\b(INSERT|UPDATE|DELETE|COPY|TRUNCATE|CREATE)\b", reached)
    assert written == [], f"writes reached the standby:\n{reached}"


async def test_a_sync_run_runs_on_the_primary(replicated, standby, credential):
    log_before = len(standby.statements_logged())
    with stale_reads():
        log, result = await run_sync(credential, StJob, [[job(1)], [job(2)]], full=True)
    assert (log.status, result.inserted) == ("completed", 2)
    assert "stage_st_jobs" not in standby.statements_logged()[log_before:]


async def test_what_the_replica_has_not_replayed_yet_is_read_on_the_primary(
    replicated, standby, primary
):
    """A table made by a migration the replica has not replayed yet (replay
    paused, the replica still within its bound): the read runs on the primary."""
    table = f"replica_probe_{uuid.uuid4().hex[:8]}"
    router = replicated.replicas
    previous = router.settings
    router.settings = dataclasses.replace(previous, max_lag=60.0)
    conn = await standby.connect(DATABASE)
    try:
        await standby.catch_up(primary, DATABASE)
        await router.measure_all()
        await conn.execute("SELECT pg_wal_replay_pause()")
        await primary.execute(f"CREATE TABLE public.{table} AS SELECT 1 AS one")
        assert await answered_by_standby()
        with stale_reads():
            assert await Company.raw(f"SELECT one FROM public.{table}") == [{"one": 1}]
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()
        router.settings = previous
        await primary.execute(f"DROP TABLE public.{table}")


# --- lag and failures ------------------------------------------------------


async def test_replay_paused_beyond_the_bound_reads_from_the_primary_until_caught_up(
    replicated, standby, primary
):
    router = replicated.replicas
    # A commit replayed: the lag is then measured from its time.
    await Company.create(name="Replayed before the pause")
    await standby.catch_up(primary, DATABASE)
    conn = await standby.connect(DATABASE)
    try:
        await conn.execute("SELECT pg_wal_replay_pause()")
        await until(lambda: conn.fetchval("SELECT pg_get_wal_replay_pause_state() = 'paused'"))
        company = await Company.create(name=f"While paused {uuid.uuid4().hex[:6]}")

        async def measured_beyond_bound():
            (health,) = await router.measure_all()
            return health.lag is not None and health.lag > SETTINGS.max_lag and health

        health = await until(measured_beyond_bound, timeout=SETTINGS.max_lag + 5)
        LAG_FIGURES["replay paused: lag measured"] = health.lag
        assert health.problem is None
        # Stale reads now come from the primary, which has the new row.
        assert not await answered_by_standby()
        with stale_reads():
            assert await Company.exists().where(Company.id == company.id)
        assert (await fetch(Company, WHO, stale_ok=True))[0]["on_standby"] is False
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()
    LAG_FIGURES["catch-up after resuming"] = await standby.catch_up(primary, DATABASE)
    # Measured again in the background: the standby answers again, with the row.
    await until(answered_by_standby)
    with stale_reads():
        assert await Company.exists().where(Company.id == company.id)


async def test_a_stopped_standby_is_skipped_within_the_connect_timeout_and_used_when_back(
    replicated, standby
):
    await until(answered_by_standby)
    standby.stop()
    started = time.monotonic()
    assert not await answered_by_standby()
    assert time.monotonic() - started < SETTINGS.connect_timeout
    (health,) = replicated.replicas.health()
    assert health.problem.startswith("unreachable"), health
    # While it is down, reads go straight to the primary.
    started = time.monotonic()
    for _ in range(5):
        assert not await answered_by_standby()
    assert time.monotonic() - started < SETTINGS.connect_timeout
    standby.start()
    await standby.wait_streaming(DATABASE)
    started = time.monotonic()
    await until(answered_by_standby)
    LAG_FIGURES["back in use after restart"] = time.monotonic() - started


async def test_an_unanswering_replica_delays_no_read(migrated):
    """A replica whose host accepts connections and never answers (a hung
    server): reads never wait for it, its measurement gives up after the
    connect timeout."""

    async def hang(reader, writer):
        await reader.read()

    silent = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    settings = ReplicaSettings(max_lag=1.0, connect_timeout=0.5, check_interval=0.1)
    engine = ReplicatedEngine(
        config=engine_config(TEST_DATABASE_URL),
        extra_nodes=replica_nodes([f"postgresql://postgres@127.0.0.1:{port}/db"], settings),
        replica_settings=settings,
    )
    try:
        with piccolo_using(engine):
            started = time.monotonic()
            assert not await answered_by_standby()
            assert time.monotonic() - started < 0.3
            started = time.monotonic()
            (health,) = await engine.replicas.measure_all()
            took = time.monotonic() - started
            assert health.problem.startswith("unreachable (TimeoutError")
            assert settings.connect_timeout <= took < settings.connect_timeout + 0.5
            started = time.monotonic()
            assert not await answered_by_standby()
            assert time.monotonic() - started < 0.3
    finally:
        silent.close()


async def test_a_primary_given_as_a_replica_is_not_used(migrated):
    engine = ReplicatedEngine(
        config=engine_config(TEST_DATABASE_URL),
        extra_nodes=replica_nodes([TEST_DATABASE_URL], SETTINGS),
        replica_settings=SETTINGS,
    )
    with piccolo_using(engine):
        (health,) = await engine.replicas.measure_all()
        assert health.problem.startswith("not in recovery"), health
        assert engine.replicas.choose() is None

