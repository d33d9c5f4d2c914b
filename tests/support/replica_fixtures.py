"""Fixtures of the tests that need a read replica: a hot standby of the test
server, and Piccolo pointed at the test database with that standby as its
replica (``DATABASE_REPLICA_URLS`` as a user sets it, in process).

Import them into a test folder's conftest. On the embedded server the
standby must start (a failure is a failure, in CI too); on a
``DATABASE_URL`` server that cannot have one (no replication entry in its
pg_hba.conf, no binaries of its version) the tests skip and say why."""

from __future__ import annotations

import pytest

from platform_db.database import database_name, engine_config
from platform_db.replicas import ReplicatedEngine, ReplicaSettings, replica_nodes
from tests.conftest import ON_EMBEDDED_SERVER, SERVER_URL, TEST_DATABASE_URL
from tests.support.databases import connect, piccolo_using
from tests.support.standby import StandbyUnavailable, make_standby

DATABASE = database_name(TEST_DATABASE_URL)
# Small enough that the tests wait little: re-measured ten times a second.
SETTINGS = ReplicaSettings(max_lag=1.0, connect_timeout=1.0, check_interval=0.1)


@pytest.fixture(scope="module")
async def standby(migrated):
    try:
        standby = await make_standby(SERVER_URL)
    except StandbyUnavailable as exc:
        if ON_EMBEDDED_SERVER:
            pytest.fail(f"no standby of the embedded server: {exc}")
        pytest.skip(f"no standby of the DATABASE_URL server: {exc}")
    try:
        await standby.wait_streaming(DATABASE)
        yield standby
    finally:
        standby.remove()


@pytest.fixture(scope="module")
async def replicated(standby):
    """The engine of piccolo_conf, as DATABASE_REPLICA_URLS=<the standby>
    makes it, with its pools started and the standby measured once."""
    engine = ReplicatedEngine(
        config=engine_config(TEST_DATABASE_URL),
        extra_nodes=replica_nodes([standby.url(DATABASE)], SETTINGS),
        replica_settings=SETTINGS,
    )
    with piccolo_using(engine):
        await engine.start_connection_pool(min_size=1, max_size=4)
        try:
            await engine.replicas.measure_all()
            yield engine
        finally:
            await engine.close_connection_pool()


@pytest.fixture
async def primary(migrated):
    """A raw connection to the primary's test database."""
    conn = await connect(TEST_DATABASE_URL)
    yield conn
    await conn.close()
