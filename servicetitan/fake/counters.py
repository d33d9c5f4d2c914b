"""What the fake served: every ServiceTitan request (the token endpoint's
and the API's, not the ``/_fake`` controls) with its tenant, path, status,
the fault it got and the time on the fake's clock; so a test can assert
"one token was issued" or "no one-second window held more than 60 requests
of this tenant".
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

TOKEN_PATH = "/connect/token"


@dataclass(frozen=True)
class Served:
    at: float  # the fake's clock (time.monotonic unless a test gave another)
    method: str
    path: str
    tenant: int | None  # of the API path, or of the token request's client
    status: int | None  # None: the connection was dropped without an answer
    fault: str | None  # the injected fault's kind, if one was
    client_id: str | None  # the token request's, or the API call's token's

    def to_json(self) -> dict:
        return asdict(self)


def busiest_second(times: list[float], window: float = 1.0) -> int:
    """The most of ``times`` (sorted) within any ``window`` seconds."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


class Counters:
    def __init__(self):
        self._served: list[Served] = []
        self._lock = threading.Lock()

    def record(self, served: Served) -> None:
        with self._lock:
            self._served.append(served)

    def requests(self, tenant: int | None = None, path: str | None = None) -> list[Served]:
        """The requests served, oldest first; of ``tenant`` only, and whose
        path contains ``path``, if given."""
        with self._lock:
            served = list(self._served)
        return [
            s for s in served
            if (tenant is None or s.tenant == tenant) and (path is None or path in s.path)
        ]  # fmt: skip

    def api_requests(self, tenant: int | None = None) -> list[Served]:
        return [s for s in self.requests(tenant) if s.path != TOKEN_PATH]

    def tokens_issued(self, client_id: str | None = None) -> int:
        """Tokens answered with 200 (to ``client_id`` if given)."""
        return sum(
            s.status == 200 and client_id in (None, s.client_id)
            for s in self.requests(path=TOKEN_PATH)
        )

    def busiest_second(self, tenant: int) -> int:
        """The most API requests of ``tenant`` in any one-second window, by
        arrival, whatever they were answered."""
        return busiest_second(sorted(s.at for s in self.api_requests(tenant)))

    def clear(self) -> None:
        with self._lock:
            self._served.clear()
