"""Each fault the fake injects, as a client meets it over real HTTP, and the
schedules that decide which requests get one: the next N, after some, every
k-th, a seeded probability, by path, tenant or client; from Python and over
``/_fake/faults``."""

import json
import random

import httpx
import pytest

from servicetitan.cache.entities import page_problem
from servicetitan.fake import Fault
from tests.servicetitan.fake.calls import TENANT, api, ask_token, export_path
from tests.servicetitan.fake.spec_schemas import problems

pytestmark = pytest.mark.fake_servicetitan(tenants=[1000001, 1000002], records=12, page_size=5)
JOBS = export_path("jobs")


def test_429_with_retry_after_and_with_only_a_title(fake_servicetitan):
    fake_servicetitan.faults.add(Fault.rate_limited(retry_after=7), path="export/jobs")
    fake_servicetitan.faults.add(
        Fault.rate_limited(retry_after=3, header=False), path="export/jobs"
    )
    with api(fake_servicetitan) as client:
        first, second, third = (client.get(JOBS) for _ in range(3))
    assert (first.status_code, first.headers["retry-after"]) == (429, "7")
    assert first.json()["title"] == "Rate limit is exceeded. Try again in 7 seconds."
    assert second.status_code == 429 and "retry-after" not in second.headers
    assert second.json()["title"] == "Rate limit is exceeded. Try again in 3 seconds."
    assert problems("jpm-v2.json", "ApiErrorResponse", second.json()) == []
    assert third.status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(fake_servicetitan, status):
    fake_servicetitan.faults.add(Fault.error(status), path="export/")
    with api(fake_servicetitan) as client:
        failed, then = client.get(JOBS), client.get(JOBS)
    assert (failed.status_code, then.status_code) == (status, 200)
    if status == 500:
        assert problems("jpm-v2.json", "ApiErrorResponse", failed.json()) == []
    else:  # a gateway's page, not JSON
        assert failed.headers["content-type"].startswith("text/html")


def test_a_slow_answer_outlasts_the_clients_read_timeout(fake_servicetitan):
    fake_servicetitan.faults.add(Fault.slow(60), path="export/jobs")
    fake_servicetitan.faults.add(Fault.slow(0.2), path="export/jobs")
    with api(fake_servicetitan) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(JOBS, timeout=httpx.Timeout(10, read=0.5))
        late = client.get(JOBS)
        assert late.status_code == 200 and late.elapsed.total_seconds() >= 0.2


def test_a_connection_dropped_before_the_answer_and_mid_body(fake_servicetitan):
    fake_servicetitan.faults.add(Fault.drop(), path="export/jobs")
    fake_servicetitan.faults.add(Fault.drop(mid_body=True), path="export/jobs")
    with api(fake_servicetitan) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get(JOBS)
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            client.get(JOBS)
        assert client.get(JOBS).status_code == 200
    served = fake_servicetitan.counters.requests(path="export/jobs")
    assert [(s.status, s.fault) for s in served] == [(None, "drop"), (200, "drop"), (200, None)]


def test_a_token_that_stops_working_before_it_expires(fake_servicetitan):
    fake_servicetitan.faults.add(Fault.revoke_token(), path="export/jobs", after=1)
    with api(fake_servicetitan) as client:
        statuses = [client.get(JOBS).status_code for _ in range(3)]
    assert statuses == [200, 401, 401]
    with api(fake_servicetitan) as client:
        assert client.get(JOBS).status_code == 200
    assert fake_servicetitan.counters.tokens_issued() == 2


def test_rejected_credentials_until_the_rule_is_cleared(fake_servicetitan):
    rejected = fake_servicetitan.tenants[1000001].client_id
    fake_servicetitan.faults.add(Fault.invalid_client(), client_id=rejected, times=None)
    for _ in range(3):
        answer = ask_token(fake_servicetitan)
        assert (answer.status_code, answer.json()) == (400, {"error": "invalid_client"})
    assert ask_token(fake_servicetitan, 1000002).status_code == 200
    fake_servicetitan.faults.clear()
    assert ask_token(fake_servicetitan).status_code == 200


def test_malformed_pages(fake_servicetitan):
    for what in ("not_json", "no_data", "other_entity"):
        fake_servicetitan.faults.add(Fault.malformed_page(what), path="export/jobs")
    with api(fake_servicetitan) as client:
        not_json, no_data, other = (client.get(JOBS) for _ in range(3))
    assert not_json.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(not_json.text)
    assert no_data.status_code == 200 and set(no_data.json()) == {"hasMore", "continueFrom"}
    locations = other.json()["data"]
    assert page_problem("st_jobs", locations).startswith("record 1 is a location, not a job")


def _statuses(fake, count: int, path: str = JOBS, tenant: int = TENANT) -> list[int]:
    with api(fake, tenant) as client:
        return [client.get(path).status_code for _ in range(count)]


def test_the_next_n_after_m_and_every_kth(fake_servicetitan):
    rule = fake_servicetitan.faults.add(Fault.error(503), path="export/jobs", times=2, after=1)
    assert _statuses(fake_servicetitan, 5) == [200, 503, 503, 200, 200]
    assert (rule.matched, rule.fired) == (5, 2)
    fake_servicetitan.faults.clear()
    fake_servicetitan.faults.add(Fault.error(502), path="export/jobs", every=3, times=None)
    assert _statuses(fake_servicetitan, 7) == [200, 200, 502, 200, 200, 502, 200]


def test_a_seeded_probability_hits_the_same_requests_every_run(fake_servicetitan):
    fake_servicetitan.faults.add(
        Fault.error(500), probability=0.5, seed=7, times=None, path="export/"
    )
    draws = random.Random(7)
    expected = [500 if draws.random() < 0.5 else 200 for _ in range(12)]
    assert _statuses(fake_servicetitan, 12) == expected
    assert 0 < expected.count(500) < 12


def test_rules_match_by_path_and_tenant(fake_servicetitan):
    fake_servicetitan.faults.add(Fault.error(503), path=r"export/(locations|jobs)$", tenant=1000002)
    locations = export_path("locations", 1000002)
    assert _statuses(fake_servicetitan, 1) == [200]  # another tenant
    assert _statuses(fake_servicetitan, 1, export_path("customers", 1000002), 1000002) == [200]
    assert _statuses(fake_servicetitan, 2, locations, 1000002) == [503, 200]


def test_faults_set_over_http(fake_servicetitan):
    control = f"{fake_servicetitan.url}/_fake/faults"
    rule = {"kind": "status", "status": 503, "times": 2, "path": "export/jobs"}
    [added] = httpx.post(control, json=rule).json()
    assert (added["fault"]["status"], added["times"], added["fired"]) == (503, 2, 0)
    assert _statuses(fake_servicetitan, 3) == [503, 503, 200]
    [seen] = httpx.get(control).json()
    assert (seen["matched"], seen["fired"]) == (3, 2)
    wrong = httpx.post(control, json={"kind": "meteor"})
    assert wrong.status_code == 400 and "no fault 'meteor'" in wrong.json()["error"]
    assert httpx.delete(control).json() == []
