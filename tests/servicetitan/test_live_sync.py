"""The live sync of export feeds into the cache (``sync_feed``), against the
fake ServiceTitan over real HTTP: whole feeds cached at their newest
version, resumed where they stand, restarted (``full``) or started at a
date (``since``), inactive records kept, ``both`` as one run, a caught-up
feed left alone for 5 minutes, and the feed's position committed with each
page."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from servicetitan.cache.raw_tables import CACHE_TABLES
from servicetitan.sync.feeds import BOTH, CaughtUp, sync_feed
from servicetitan.tables import ServiceTitanSyncLog

ENTITIES = [name.removeprefix("st_") for name in CACHE_TABLES]


@pytest.fixture
def requested(caplog):
    """``requested(entity)``: the ``from`` of each request of the entity's
    export feed, in order, as the client logs its requests."""
    caplog.set_level(logging.DEBUG, logger="servicetitan.api.client")

    def froms(entity: str) -> list[str | None]:
        path = f"/export/{entity.replace('_', '-')} "
        return [
            record.args[1].get("from")
            for record in caplog.records
            if record.name == "servicetitan.api.client" and path in f"{record.args[0]} "
        ]

    return froms


async def state(conn, live, entity: str):
    return await conn.fetchrow(
        "SELECT continue_from, caught_up_at, last_full_sync, last_incremental_sync, "
        "records_synced FROM raw.sync_state WHERE tenant_id = $1 AND table_name = $2",
        live.tenant_id,
        f"st_{entity}",
    )


async def leave_caught_up_for(conn, live, entity: str, minutes: int) -> None:
    """As if the feed had caught up ``minutes`` ago (the database's clock)."""
    await conn.execute(
        "UPDATE raw.sync_state SET caught_up_at = now() - make_interval(mins => $3) "
        "WHERE tenant_id = $1 AND table_name = $2",
        live.tenant_id,
        f"st_{entity}",
        minutes,
    )


@pytest.mark.fake_servicetitan(records=230, page_size=100)
@pytest.mark.parametrize("entity", ENTITIES)
async def test_a_whole_feed_is_cached_at_its_newest_version(conn, live, entity, requested):
    log = await sync_feed(live.credential, entity)
    assert await live.cached(conn, entity) == live.newest(entity)
    row = await ServiceTitanSyncLog.objects().get(ServiceTitanSyncLog.id == log.id)
    assert (row.status, row.sync_type, row.data_type) == (
        "completed",
        "manual",
        CACHE_TABLES[f"st_{entity}"].DATA_TYPE,
    )
    assert (row.records_processed, row.records_successful, row.records_failed) == (230, 230, 0)
    # three pages, each asked from where the one before ended
    froms = requested(entity)
    assert len(froms) == 3 and froms[0] is None and None not in froms[1:]
    after = await state(conn, live, entity)
    assert after["continue_from"] is not None and after["caught_up_at"] is not None
    assert after["last_incremental_sync"] is not None and after["records_synced"] == 230


@pytest.mark.fake_servicetitan(records={"jobs": 300}, page_size=100)
async def test_a_sync_goes_on_where_the_feed_stands_and_keeps_inactive_records(conn, live, requested):
    await sync_feed(live.credential, "jobs")
    position = (await state(conn, live, "jobs"))["continue_from"]
    requests = len(requested("jobs"))
    live.fake.change(live.tenant_id, "jobs", [10000002, 10000150])
    live.fake.change(live.tenant_id, "jobs", [10000007], active=False)
    live.fake.add_records(live.tenant_id, "jobs", 5)
    await leave_caught_up_for(conn, live, "jobs", 6)

    log = await sync_feed(live.credential, "jobs")

    # one request, from the stored position: only what changed since
    assert requested("jobs")[requests:] == [position]
    assert log.records_processed == 8
    assert await live.cached(conn, "jobs") == live.newest("jobs")
    active = await conn.fetchval(
        "SELECT active FROM raw.st_jobs WHERE tenant_id = $1 AND id = 10000007", live.tenant_id
    )
    assert active is False


@pytest.mark.fake_servicetitan(records={"technicians": 120}, page_size=50)
async def test_a_caught_up_feed_is_not_asked_again_within_5_minutes(conn, live, requested):
    await sync_feed(live.credential, "technicians")
    served = len(live.fake.counters.requests())
    logs = await ServiceTitanSyncLog.count().where(
        ServiceTitanSyncLog.servicetitan_credential == live.credential.id
    )

    with pytest.raises(CaughtUp, match=r"caught up \(technicians at .* UTC\).* 5 minutes") as e:
        await sync_feed(live.credential, "technicians")

    assert len(live.fake.counters.requests()) == served  # not a single request
    assert (
        await ServiceTitanSyncLog.count().where(
            ServiceTitanSyncLog.servicetitan_credential == live.credential.id
        )
        == logs
    )  # and no sync log
    caught_up = await state(conn, live, "technicians")
    assert e.value.next_at == caught_up["caught_up_at"] + timedelta(minutes=5)
    await leave_caught_up_for(conn, live, "technicians", 5)
    await sync_feed(live.credential, "technicians")  # 5 minutes later it asks again
    assert len(live.fake.counters.requests()) == served + 1


@pytest.mark.fake_servicetitan(records={"locations": 150}, page_size=100)
async def test_full_restarts_the_feed_and_since_starts_it_at_a_date(conn, live, requested):
    await sync_feed(live.credential, "locations")
    live.fake.change(live.tenant_id, "locations", [2000003])

    await sync_feed(live.credential, "locations", full=True)
    froms = requested("locations")
    assert froms[2] is None  # from the beginning again
    assert await live.cached(conn, "locations") == live.newest("locations")
    assert (await state(conn, live, "locations"))["last_full_sync"] is not None

    await sync_feed(live.credential, "locations", since=date(2024, 1, 1))
    assert requested("locations")[len(froms)] == "2024-01-01"


@pytest.mark.fake_servicetitan(records={"customers": 120, "invoices": 80}, page_size=50)
async def test_both_is_one_logged_run_of_customers_and_invoices(conn, live, requested):
    log = await sync_feed(live.credential, "both")
    assert log.data_type == "both" and log.status == "completed"
    assert log.records_processed == 200
    for entity in BOTH:
        assert await live.cached(conn, entity) == live.newest(entity)
        assert (await state(conn, live, entity))["caught_up_at"] is not None
    # a customer's invoices, by the promoted column
    customer = next(iter(live.newest("invoices").values()))["customer"]["id"]
    invoices = await conn.fetchval(
        "SELECT count(*) FROM raw.st_invoices WHERE tenant_id = $1 AND customer_id = $2",
        live.tenant_id,
        customer,
    )
    expected = sum(i["customer"]["id"] == customer for i in live.newest("invoices").values())
    assert invoices == expected >= 1
