"""A fake ServiceTitan for tests, benchmarks and trying the project without
an account: the OAuth token endpoint and the API's export feeds, list and
record endpoints over real HTTP, with ServiceTitan's behaviour (records of
the OpenAPI specs' schemas, append-only feeds, the rate limit, its error
answers), injected faults and counters of what it served.

``FakeServiceTitan`` (service.py) is the whole of it in process;
``python -m servicetitan.fake`` serves one. docs/servicetitan.md says how.
"""

from servicetitan.fake.clock import ManualClock
from servicetitan.fake.faults import Fault
from servicetitan.fake.service import FakeServiceTitan

__all__ = ["FakeServiceTitan", "Fault", "ManualClock"]
