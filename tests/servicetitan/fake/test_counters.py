"""What the fake counts of what it served, read from Python and over
``/_fake``, and its other controls over HTTP: every request with its
tenant, path, status, fault and time; tokens issued per client; the
busiest second per tenant; the newest version of every record."""

import httpx
import pytest

from servicetitan.fake import Fault, ManualClock
from servicetitan.fake.relations import record_id
from tests.servicetitan.fake.calls import TENANT, api, ask_token, export_path, read_feed, records

pytestmark = pytest.mark.fake_servicetitan(records=8, page_size=5, clock=ManualClock())


def test_every_request_is_counted_with_its_tenant_path_status_and_time(fake_servicetitan):
    clock, client_id = fake_servicetitan.clock, fake_servicetitan.tenants[TENANT].client_id
    start = clock()  # the module's tests share the clock
    ask_token(fake_servicetitan, secret="wrong")
    fake_servicetitan.faults.add(Fault.error(503), path="export/customers")
    with api(fake_servicetitan) as client:
        clock.advance(0.25)
        client.get(export_path("jobs"))
        client.get(export_path("customers"))
        httpx.get(f"{fake_servicetitan.url}/_fake/stats")  # controls are not counted
    served = [
        (round(s.at - start, 6), s.method, s.path, s.tenant, s.status, s.fault, s.client_id)
        for s in fake_servicetitan.counters.requests()
    ]
    assert served == [
        (0.0, "POST", "/connect/token", TENANT, 400, None, client_id),
        (0.0, "POST", "/connect/token", TENANT, 200, None, client_id),
        (0.25, "GET", export_path("jobs"), TENANT, 200, None, client_id),
        (0.25, "GET", export_path("customers"), TENANT, 503, "status", client_id),
    ]
    assert fake_servicetitan.counters.tokens_issued() == 1
    assert fake_servicetitan.counters.tokens_issued(client_id) == 1
    over_http = httpx.get(f"{fake_servicetitan.url}/_fake/requests", params={"path": "export"})
    assert [r["status"] for r in over_http.json()] == [200, 503]


def test_the_busiest_second_of_a_tenant(fake_servicetitan):
    clock = fake_servicetitan.clock
    with api(fake_servicetitan) as client:
        for pause, count in ((0, 3), (0.5, 2), (0.7, 4)):
            clock.advance(pause)
            for _ in range(count):
                client.get(export_path("jobs"))
    assert fake_servicetitan.counters.busiest_second(TENANT) == 6  # the last 2 + 4
    stats = httpx.get(f"{fake_servicetitan.url}/_fake/stats").json()
    client_id = fake_servicetitan.tenants[TENANT].client_id
    assert stats == {"tokens_issued": {client_id: 1}, "busiest_second": {str(TENANT): 6}}
    assert httpx.delete(f"{fake_servicetitan.url}/_fake/requests").json() == []
    assert fake_servicetitan.counters.requests() == []


def test_records_are_controlled_over_http(fake_servicetitan):
    control = f"{fake_servicetitan.url}/_fake"
    summary = httpx.get(control).json()
    assert summary["app_key"] == fake_servicetitan.app_key
    [tenant] = summary["tenants"]
    assert (tenant["tenant_id"], tenant["records"]["jobs"]) == (TENANT, 8)
    jobs = f"{control}/tenants/{TENANT}/jobs"
    [changed] = httpx.post(
        f"{jobs}/change", json={"ids": [record_id("jobs", 2)], "active": False}
    ).json()
    [added] = httpx.post(f"{jobs}/add", json={"count": 1}).json()
    assert (changed["active"], added["id"]) == (False, record_id("jobs", 9))
    newest = httpx.get(jobs).json()
    assert newest == list(fake_servicetitan.newest(TENANT, "jobs").values())
    with api(fake_servicetitan) as client:
        assert records(read_feed(client, "jobs"))[-2:] == [changed, added]
    refused = httpx.post(f"{jobs}/change", json={"ids": [record_id("jobs", 99)]})
    assert refused.status_code == 400 and "has no jobs" in refused.json()["error"]
    made = httpx.post(f"{control}/tenants", json={"tenant_id": 1000002, "records": 3}).json()
    assert fake_servicetitan.tenants[1000002].client_secret == made["client_secret"]
    assert ask_token(fake_servicetitan, 1000002).status_code == 200
    assert httpx.post(f"{control}/tokens/revoke", json={}).json() == {"revoked": 2}
