"""The ``fake_servicetitan`` fixture: a ``FakeServiceTitan`` served over real
HTTP on 127.0.0.1 (a free port, uvicorn in a background thread) for one
test, stopped after it. It yields the fake itself: its ``url`` (both the
auth and the API URL), ``env`` (the variables a client reads), ``app_key``,
``tenants`` (each with ``tenant_id``, ``client_id``, ``client_secret``),
and its controls: ``faults``, ``counters``, ``tokens``, ``change``,
``add_records``, ``add_tenant``, ``newest`` (servicetitan/fake/service.py).

Its options come from a marker, e.g.
``@pytest.mark.fake_servicetitan(records={"jobs": 2000}, page_size=100,
clock=ManualClock())``. Registered for every test folder by
``tests/conftest.py``.
"""

from __future__ import annotations

import pytest

from servicetitan.fake import FakeServiceTitan


@pytest.fixture
def fake_servicetitan(request):
    marker = request.node.get_closest_marker("fake_servicetitan")
    fake = FakeServiceTitan(**(marker.kwargs if marker else {}))
    with fake.serving():
        yield fake
