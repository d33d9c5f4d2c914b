"""The fake's export feeds over real HTTP, as ServiceTitan's behave: pages
followed by ``continueFrom`` until ``hasMore`` is false, opaque and stable
tokens, ``from=<date>``, changed records appearing again further on,
inactive records included, ``includeRecentChanges`` repeating records."""

import tracemalloc

import pytest

from servicetitan.fake import FakeServiceTitan
from servicetitan.fake.feeds import INACTIVE_EVERY
from servicetitan.fake.moments import iso, parse
from servicetitan.fake.relations import record_id
from servicetitan.fake.specs import feeds
from tests.servicetitan.fake.calls import TENANT, api, export_path, read_feed, records

pytestmark = pytest.mark.fake_servicetitan(records=23, page_size=5, recent_changes=3)


def _ids(found: list[dict]) -> list[int]:
    return [r["id"] for r in found]


def _newest_seen(found: list[dict]) -> dict[int, dict]:
    """Each record's last version in feed order, as a cache keeps it."""
    return {r["id"]: r for r in found}


@pytest.mark.parametrize("entity", list(feeds()))
def test_a_feed_is_read_to_its_end_by_following_continue_from(fake_servicetitan, entity):
    with api(fake_servicetitan) as client:
        pages = read_feed(client, entity)
    assert [len(p["data"]) for p in pages] == [5, 5, 5, 5, 3]
    assert [p["hasMore"] for p in pages] == [True] * 4 + [False]
    found = records(pages)
    assert _ids(found) == [record_id(entity, i) for i in range(1, 24)]
    modified = [parse(r["modifiedOn"]) for r in found]
    assert modified == sorted(modified) and len(set(modified)) == len(modified)
    assert _newest_seen(found) == fake_servicetitan.newest(TENANT, entity)
    tokens = [p["continueFrom"] for p in pages]
    assert len(set(tokens)) == len(tokens)
    assert not any(t.isdigit() for t in tokens)


def test_a_token_always_gives_the_same_page_and_a_made_up_one_is_refused(fake_servicetitan):
    path = export_path("jobs")
    with api(fake_servicetitan) as client:
        first = client.get(path).json()
        second = client.get(path, params={"from": first["continueFrom"]}).json()
        fake_servicetitan.change(TENANT, "jobs", [record_id("jobs", 1)])
        again = client.get(path, params={"from": first["continueFrom"]}).json()
        assert again == second
        tampered = first["continueFrom"][:-2] + (
            "AA" if first["continueFrom"][-2:] != "AA" else "BB"
        )
        refused = client.get(path, params={"from": tampered})
        assert refused.status_code == 400
        assert list(refused.json()["errors"]) == ["from"]
        # a token is bound to its feed: the jobs token means nothing to locations
        other = client.get(export_path("locations"), params={"from": first["continueFrom"]})
        assert other.status_code == 400


def test_from_a_date_starts_at_the_first_version_modified_then_or_later(fake_servicetitan):
    with api(fake_servicetitan) as client:
        everything = records(read_feed(client, "jobs"))
        tenth = everything[9]["modifiedOn"]
        assert _ids(records(read_feed(client, "jobs", **{"from": tenth}))) == _ids(everything[9:])
        after_ninth = iso(parse(everything[8]["modifiedOn"]) + 1)  # 100 ns later
        assert records(read_feed(client, "jobs", **{"from": after_ninth}))[0] == everything[9]
        assert records(read_feed(client, "jobs", **{"from": "2024-01-01"})) == everything
        # the same instant two hours ahead of UTC
        same = records(read_feed(client, "jobs", **{"from": "2024-01-01T02:00:00+02:00"}))
        assert same == everything
        [late] = read_feed(client, "jobs", **{"from": "2030-01-01"})
        assert (late["hasMore"], late["data"]) == (False, [])


def test_a_changed_record_appears_again_at_the_end_of_the_feed(fake_servicetitan):
    with api(fake_servicetitan) as client:
        pages = read_feed(client, "jobs")
        before = _newest_seen(records(pages))
        changed_ids = [record_id("jobs", 4), record_id("jobs", 17)]
        changed = fake_servicetitan.change(TENANT, "jobs", changed_ids)
        [caught_up] = read_feed(client, "jobs", **{"from": pages[-1]["continueFrom"]})
        assert caught_up["data"] == changed and caught_up["hasMore"] is False
        for old, new in zip((before[i] for i in changed_ids), changed):
            assert parse(new["modifiedOn"]) > parse(old["modifiedOn"])
            assert new["createdOn"] == old["createdOn"]
            assert new != old | {"modifiedOn": new["modifiedOn"]}  # new content too
        whole = records(read_feed(client, "jobs"))
    assert len(whole) == 25
    assert _newest_seen(whole) == fake_servicetitan.newest(TENANT, "jobs")


def test_inactive_and_deleted_records_are_in_the_feed(fake_servicetitan):
    inactive_from_the_start = record_id("customers", INACTIVE_EVERY)
    deleted = record_id("customers", 3)
    fake_servicetitan.change(TENANT, "customers", [deleted], active=False)
    with api(fake_servicetitan) as client:
        found = records(read_feed(client, "customers"))
        newest = _newest_seen(found)
        assert newest[inactive_from_the_start]["active"] is False
        assert newest[deleted]["active"] is False
        assert [r["active"] for r in found if r["id"] == deleted] == [True, False]
        only_active = records(read_feed(client, "customers", active="True"))
        assert {inactive_from_the_start} & set(_ids(only_active)) == set()
        assert records(read_feed(client, "customers", active="Any")) == found
        assert client.get(export_path("customers"), params={"active": "Maybe"}).status_code == 400


def test_include_recent_changes_repeats_the_versions_before_the_page(fake_servicetitan):
    with api(fake_servicetitan) as client:
        pages = read_feed(client, "appointments")
        plain = records(pages)
        params = {"from": pages[1]["continueFrom"], "includeRecentChanges": "true"}
        third = client.get(export_path("appointments"), params=params).json()
        assert third["data"] == plain[7:15]  # the 3 before the page again, then the page
        assert third["continueFrom"] == pages[2]["continueFrom"]
        params["from"] = pages[-1]["continueFrom"]
        caught_up = client.get(export_path("appointments"), params=params).json()
        assert (caught_up["data"], caught_up["hasMore"]) == (plain[-3:], False)
        refused = client.get(export_path("appointments"), params={"includeRecentChanges": "yes"})
        assert refused.status_code == 400


def test_added_records_come_after_the_others(fake_servicetitan):
    added = fake_servicetitan.add_records(TENANT, "technicians", 2)
    assert _ids(added) == [record_id("technicians", 24), record_id("technicians", 25)]
    with api(fake_servicetitan) as client:
        assert records(read_feed(client, "technicians"))[-2:] == added


@pytest.mark.fake_servicetitan(
    records={"customers": 7, "locations": 11, "jobs": 30, "appointments": 40,
             "appointment_assignments": 50, "technicians": 4, "invoices": 25},
    page_size=500,
)  # fmt: skip
def test_records_point_at_records_of_the_same_tenant(fake_servicetitan):
    with api(fake_servicetitan) as client:
        feed = {entity: _newest_seen(records(read_feed(client, entity))) for entity in feeds()}
    customers, locations, jobs = feed["customers"], feed["locations"], feed["jobs"]
    appointments, technicians = feed["appointments"], feed["technicians"]
    for location in locations.values():
        assert location["customerId"] in customers
    for job in jobs.values():
        assert locations[job["locationId"]]["customerId"] == job["customerId"]
    for appointment in appointments.values():
        assert jobs[appointment["jobId"]]["customerId"] == appointment["customerId"]
    for assignment in feed["appointment_assignments"].values():
        assert appointments[assignment["appointmentId"]]["jobId"] == assignment["jobId"]
        assert technicians[assignment["technicianId"]]["name"] == assignment["technicianName"]
    for invoice in feed["invoices"].values():
        job = jobs[invoice["job"]["id"]]
        assert invoice["job"]["number"] == job["jobNumber"]
        assert (invoice["customer"]["id"], invoice["location"]["id"]) == (
            job["customerId"], job["locationId"],
        )  # fmt: skip
        assert invoice["customer"]["name"] == customers[job["customerId"]]["name"]
    ids = [i for records_of in feed.values() for i in records_of]
    assert all(type(i) is int and i > 0 for i in ids) and len(set(ids)) == len(ids)


def test_the_same_seed_serves_the_same_data_and_another_seed_other_data():
    pages = {}
    for name, seed in (("one", 1), ("again", 1), ("other", 2)):
        fake = FakeServiceTitan(records=10, seed=seed)
        with fake.serving(), api(fake) as client:
            pages[name] = client.get(export_path("invoices")).json()
    assert pages["one"] == pages["again"]
    assert _ids(pages["one"]["data"]) == _ids(pages["other"]["data"])
    assert pages["one"]["data"] != pages["other"]["data"]


def test_a_hundred_thousand_jobs_are_served_without_being_built_first():
    tracemalloc.start()
    try:
        fake = FakeServiceTitan(records={"jobs": 100_000})
        log = fake.tenants[TENANT].logs["jobs"]
        with fake.serving(), api(fake) as client:
            [tail] = read_feed(client, "jobs", **{"from": iso(log.at(99_990).modified)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tail["hasMore"] is False
    assert _ids(tail["data"]) == [record_id("jobs", i) for i in range(99_991, 100_001)]
    assert peak < 20 * 2**20  # 100,000 jobs built would take over 100 MB
