"""The fake enforces ServiceTitan's 60 requests a second per application per
tenant itself: a 61st request within any one-second window gets 429 with
``Retry-After``. On a ManualClock, so the verdicts do not depend on how fast
the machine sends the requests."""

import pytest

from servicetitan.fake import ManualClock
from tests.servicetitan.fake.calls import api, export_path

pytestmark = pytest.mark.fake_servicetitan(tenants=[1000001, 1000002], clock=ManualClock())


def _statuses(client, count: int, tenant: int = 1000001) -> list[int]:
    return [client.get(export_path("technicians", tenant)).status_code for _ in range(count)]


def test_the_61st_request_in_a_second_gets_429_with_retry_after(fake_servicetitan):
    clock = fake_servicetitan.clock
    with api(fake_servicetitan) as client:
        assert _statuses(client, 60) == [200] * 60
        refused = client.get(export_path("technicians"))
        assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
        assert refused.json()["title"] == "Rate limit is exceeded. Try again in 1 seconds."
        clock.advance(0.999)
        assert _statuses(client, 1) == [429]
        clock.advance(0.001)
        assert _statuses(client, 60) == [200] * 60
    assert fake_servicetitan.counters.busiest_second(1000001) == 62


def test_the_window_slides(fake_servicetitan):
    clock = fake_servicetitan.clock
    with api(fake_servicetitan) as client:
        assert _statuses(client, 30) == [200] * 30
        clock.advance(0.5)
        assert _statuses(client, 31) == [200] * 30 + [429]
        clock.advance(0.5)  # the first 30 are a second old: room for 30
        assert _statuses(client, 31) == [200] * 30 + [429]


def test_each_tenant_has_its_own_limit(fake_servicetitan):
    with api(fake_servicetitan, 1000001) as first, api(fake_servicetitan, 1000002) as second:
        assert _statuses(first, 61) == [200] * 60 + [429]
        assert _statuses(second, 60, 1000002) == [200] * 60


@pytest.mark.fake_servicetitan(clock=ManualClock(), rate_limit=None)
def test_the_limit_can_be_lifted(fake_servicetitan):
    with api(fake_servicetitan) as client:
        assert _statuses(client, 100) == [200] * 100
