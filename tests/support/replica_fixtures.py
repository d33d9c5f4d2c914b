"""Fixtures of the tests that need a read replica: Piccolo pointed at the
test database with the session's hot standby (``standby``, tests/conftest.py)
as its replica, as ``DATABASE_REPLICA_URLS`` makes it, in process."""

from __future__ import annotations

import pytest

from platform_db.database.engine import engine_config
from platform_db.database.replicas import ReplicaSettings, ReplicatedEngine, replica_nodes
from platform_db.database.urls import database_name
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import connect, piccolo_using

DATABASE = database_name(TEST_DATABASE_URL)
# Small enough that the tests wait little: re-measured ten times a second.
SETTINGS = ReplicaSettings(max_lag=1.0, connect_timeout=1.0, check_interval=0.1)


@pytest.fixture(scope="module")
async def replicated(standby):
    """The engine of piccolo_conf, as DATABASE_REPLICA_URLS=<the standby>
    makes it, with its pools started and the standby measured fit: caught
    up with what the primary had written when it was measured."""
    engine = ReplicatedEngine(
        config=engine_config(TEST_DATABASE_URL),
        extra_nodes=replica_nodes([standby.url(DATABASE)], SETTINGS),
        replica_settings=SETTINGS,
    )
    with piccolo_using(engine):
        await engine.start_connection_pool(min_size=1, max_size=4)
        try:
            await measured_fit(engine, standby)
            yield engine
        finally:
            await engine.close_connection_pool()


async def measured_fit(engine, standby, attempts: int = 100) -> None:
    """Measure the standby until it is found fit (it is behind while it
    replays what the primary wrote just before)."""
    primary = await connect(TEST_DATABASE_URL)
    try:
        for _ in range(attempts):
            await standby.catch_up(primary, DATABASE)
            (health,) = await engine.replicas.measure_all()
            if health.fit(SETTINGS.max_lag):
                return
    finally:
        await primary.close()
    raise AssertionError(f"the standby is not measured fit: {health}")


@pytest.fixture
async def primary(migrated):
    """A raw connection to the primary's test database."""
    conn = await connect(TEST_DATABASE_URL)
    yield conn
    await conn.close()
