"""Replicas and poolers decided per node: a hot standby behind a PgBouncer
of its own (transaction mode, two server connections) while the primary is
reached directly, and the other way round; and a replica's error of any
kind sends that read to the primary."""

from __future__ import annotations

import asyncio
import os
from unittest import mock

import pytest

from business.tables import Company
from platform_db.database.connection import fetch
from platform_db.database.engine import engine_config
from platform_db.database.replicas import ReplicatedEngine, replica_nodes, stale_reads
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import piccolo_using
from tests.support.pgbouncer import PGBOUNCER, start_pgbouncer
from tests.support.replica_fixtures import (  # noqa: F401  (fixtures)
    DATABASE,
    SETTINGS,
    measured_fit,
    replicated,
)

WHO = "SELECT pg_is_in_recovery() AS on_standby"
READERS = 16
READS_EACH = 20


@pytest.fixture(scope="module")
async def standby_pooler(standby):
    if PGBOUNCER is None:
        message = (
            "no pgbouncer: scripts/test installs Debian's `pgbouncer` package when run as root"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    bouncer = await start_pgbouncer(standby.url(DATABASE))
    yield bouncer
    bouncer.stop()


async def engine_with(replica_url: str, standby) -> ReplicatedEngine:
    engine = ReplicatedEngine(
        config=engine_config(TEST_DATABASE_URL),
        extra_nodes=replica_nodes([replica_url], SETTINGS),
        replica_settings=SETTINGS,
    )
    await engine.start_connection_pool(min_size=1, max_size=8)
    await measured_fit(engine, standby)
    return engine


async def test_a_replica_behind_its_own_pgbouncer_answers_every_stale_read(
    migrated, standby, standby_pooler
):
    """DATABASE_URL is the primary itself (no DATABASE_DIRECT_URL), the
    replica's URL a PgBouncer in front of the standby: 320 stale reads, 16
    readers at a time, each reader's statements moving between the pooler's
    two server connections. Every one is answered, by the standby (before:
    some failed with InvalidSQLStatementNameError, asyncpg's named statement
    sent to a server connection it was not prepared on)."""
    engine = await engine_with(standby_pooler.url(DATABASE), standby)
    try:
        with piccolo_using(engine):

            async def reader(number: int) -> list[bool]:
                answers = []
                for read in range(READS_EACH):
                    with stale_reads():
                        rows = await Company.raw(f"{WHO}, {read % 4} AS statement")
                    answers.append(rows[0]["on_standby"])
                return answers

            outcomes = await asyncio.gather(*map(reader, range(READERS)), return_exceptions=True)
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        assert failed == [], f"{len(failed)} of {READERS} readers failed: {failed[:3]}"
        answered_by_standby = sum(answer for answers in outcomes for answer in answers)
        assert answered_by_standby == READERS * READS_EACH
        (node,) = engine.extra_nodes.values()
        assert node.pooler is True
        assert node.config["statement_cache_size"] == 0
        assert engine.config.get("statement_cache_size") is None  # the primary keeps its cache
    finally:
        await engine.close_connection_pool()


async def test_a_direct_replica_of_a_pooled_primary_keeps_its_statement_cache(migrated, standby):
    """The other way round: DATABASE_URL a pooler (DATABASE_DIRECT_URL set),
    the standby reached directly. Its connections are its own: prepared
    statements cached, as on any direct server."""
    pooled_primary = {
        "DATABASE_URL": "postgresql://bouncer:6432/db",
        "DATABASE_DIRECT_URL": TEST_DATABASE_URL,
    }
    with mock.patch.dict(os.environ, pooled_primary):
        engine = ReplicatedEngine(
            config=engine_config(TEST_DATABASE_URL),
            extra_nodes=replica_nodes([standby.url(DATABASE)], SETTINGS),
            replica_settings=SETTINGS,
        )
        await engine.start_connection_pool(min_size=1, max_size=2)
        try:
            await measured_fit(engine, standby)
            (node,) = engine.extra_nodes.values()
            assert "statement_cache_size" not in node.config
            assert node.pooler is False
        finally:
            await engine.close_connection_pool()


async def test_any_error_of_a_replica_sends_the_read_to_the_primary(replicated):
    """A read a hot standby refuses with an error no list foresaw (a function
    that needs a transaction id: ReadOnlySQLTransactionError) is answered by
    the primary, through Piccolo and through the raw SQL readers alike."""
    with stale_reads():
        assert (await Company.raw(WHO))[0]["on_standby"] is True
        rows = await Company.raw(f"{WHO}, txid_current() > 0 AS wrote")
    assert rows == [{"on_standby": False, "wrote": True}]
    rows = await fetch(Company, f"{WHO}, txid_current() > 0 AS wrote", stale_ok=True)
    assert rows == [{"on_standby": False, "wrote": True}]
    # The replica stays in use for the reads it can answer.
    with stale_reads():
        assert (await Company.raw(WHO))[0]["on_standby"] is True
