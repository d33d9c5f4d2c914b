"""What the fake sends is what the specs describe: every export page, list
page, single record and error answer valid against its schema in the specs
(formats checked), records carrying every property of their schema, at the
paths the specs give."""

import json

import pytest

from servicetitan.fake.relations import record_id
from servicetitan.fake.specs import TENANT as SPEC_TENANT
from servicetitan.fake.specs import extracted, feeds
from tests.servicetitan.fake.calls import TENANT, api, read_feed, records
from tests.servicetitan.fake.spec_schemas import problems

pytestmark = pytest.mark.fake_servicetitan(records=45, page_size=20)
FEEDS = list(feeds().values())


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.entity)
def test_the_paths_served_are_the_specs(feed):
    spec = extracted()[feed.spec_file]
    for path in (feed.export_path, feed.list_path, feed.record_path):
        if path is not None:
            assert path.startswith(spec["module"] + SPEC_TENANT)
            assert path.removeprefix(spec["module"]) in spec["paths"]


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.entity)
def test_export_pages_and_their_records_are_valid_against_the_spec(fake_servicetitan, feed):
    fake_servicetitan.change(TENANT, feed.entity, [record_id(feed.entity, 2)], active=False)
    with api(fake_servicetitan) as client:
        pages = read_feed(client, feed.entity)
    for page in pages:
        assert problems(feed.spec_file, feed.export_envelope, page) == []
    found = records(pages)
    assert len(found) == 46
    properties = feed.schema("export")["properties"]
    assert all(set(record) == set(properties) for record in found)
    # some nullable fields are null, as real payloads have them, and still valid
    nullable = any(p.get("nullable") for p in properties.values())
    assert any(value is None for record in found for value in record.values()) == nullable


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.entity)
def test_list_pages_and_records_are_in_the_list_schemas_shape(fake_servicetitan, feed):
    tenant = {"tenant": TENANT}
    with api(fake_servicetitan) as client:
        listed = client.get(feed.list_path.format(**tenant), params={"pageSize": 1})
        assert listed.status_code == 200
        page = listed.json()
        assert problems(feed.spec_file, feed.list_envelope, page) == []
        assert (page["page"], page["pageSize"], page["hasMore"]) == (1, 1, True)
        assert set(page["data"][0]) == set(feed.schema("list")["properties"])
        if feed.record_path is None:
            return
        wanted = record_id(feed.entity, 7)
        one = client.get(feed.record_path.format(id=wanted, **tenant))
        assert one.status_code == 200
        assert problems(feed.spec_file, feed.list_schema, one.json()) == []
        newest = fake_servicetitan.newest(TENANT, feed.entity)[wanted]
        assert one.json() == {k: v for k, v in newest.items() if k in one.json()}
        missing = client.get(feed.record_path.format(id=record_id(feed.entity, 46), **tenant))
        assert missing.status_code == 404
        assert problems(feed.spec_file, "ApiErrorResponse", missing.json()) == []


def test_a_list_filters_by_ids_and_active_and_counts_when_asked(fake_servicetitan):
    path = feeds()["technicians"].list_path.format(tenant=TENANT)
    inactive = record_id("technicians", 20)  # every 20th starts inactive
    with api(fake_servicetitan) as client:
        default = client.get(path, params={"pageSize": 50, "includeTotal": "true"}).json()
        assert inactive not in [r["id"] for r in default["data"]]
        assert (default["totalCount"], len(default["data"]), default["hasMore"]) == (43, 43, False)
        any_state = client.get(path, params={"pageSize": 10, "page": 5, "active": "Any"}).json()
        assert [r["id"] for r in any_state["data"]] == [
            record_id("technicians", i) for i in (41, 42, 43, 44, 45)
        ]
        ids = ",".join(str(record_id("technicians", i)) for i in (3, 20, 99))
        by_ids = client.get(path, params={"ids": ids, "active": "Any"}).json()
        assert [r["id"] for r in by_ids["data"]] == [record_id("technicians", 3), inactive]
        assert default["totalCount"] is not None and by_ids["totalCount"] is None
        too_many = ",".join(str(i) for i in range(51))
        assert client.get(path, params={"ids": too_many}).status_code == 400
        assert client.get(path, params={"pageSize": 0}).status_code == 400


def test_error_answers_are_api_error_responses(fake_servicetitan):
    feed = feeds()["jobs"]
    with api(fake_servicetitan) as client:
        refused = client.get(feed.export_path.format(tenant=TENANT), params={"from": "nonsense"})
        unauthorized = client.get(
            feed.export_path.format(tenant=TENANT), headers={"ST-App-Key": "wrong"}
        )
        unknown = client.get(f"/jpm/v2/tenant/{TENANT}/export/nothing")
    for answer, status in ((refused, 400), (unauthorized, 401), (unknown, 404)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/json"
        assert problems(feed.spec_file, "ApiErrorResponse", json.loads(answer.text)) == []
