"""The fake's feeds are what the cache takes: for each of the cache's five
entities, the whole feed (changed, deactivated and inactive records among
it) is read over HTTP, its pages written to JSON files and loaded with
``piccolo servicetitan load``, and every record is cached once, at its
newest version, as the fake holds it."""

import json

import pytest

from servicetitan.fake.relations import record_id
from servicetitan.cache.raw_tables import CACHE_TABLES
from tests.servicetitan.fake.calls import api, read_feed
from tests.support.commands import run_piccolo


@pytest.mark.parametrize("table", list(CACHE_TABLES))
@pytest.mark.fake_servicetitan(tenants=[], page_size=10)
async def test_a_whole_feed_loads_into_the_cache(
    fake_servicetitan, conn, credential, tenant, tmp_path, table
):
    entity = table.removeprefix("st_")
    fake_servicetitan.add_tenant(tenant, records=35)
    fake_servicetitan.change(tenant, entity, [record_id(entity, 3), record_id(entity, 30)])
    fake_servicetitan.change(tenant, entity, [record_id(entity, 5)], active=False)
    with api(fake_servicetitan, tenant) as client:
        pages = read_feed(client, entity, tenant)
    assert len(pages) == 4  # 38 versions of 35 records
    for number, page in enumerate(pages, start=1):
        (tmp_path / f"{number:02d}.json").write_text(json.dumps(page))
    done = run_piccolo("servicetitan", "load", entity, str(tenant), str(tmp_path), "--full")
    assert done.returncode == 0, done.stderr
    # the second versions of 3 records update what their first versions inserted
    assert f"raw.{table}, tenant {tenant}: 35 inserted, 3 updated, 0 unchanged, 0 rejected" in (
        done.stdout
    )
    cached = await conn.fetch(
        f"SELECT id, full_data, active FROM raw.{table} WHERE tenant_id = $1", tenant
    )
    newest = fake_servicetitan.newest(tenant, entity)
    assert {row["id"]: json.loads(row["full_data"]) for row in cached} == newest
    inactive = {row["id"] for row in cached if row["active"] is False}
    assert inactive == {i for i, record in newest.items() if not record["active"]}
    assert record_id(entity, 5) in inactive and record_id(entity, 20) in inactive
