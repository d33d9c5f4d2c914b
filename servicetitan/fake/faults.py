"""Faults the fake injects, on a schedule a test decides.

A ``Rule`` pairs a ``Fault`` with which requests it may hit (a regular
expression searched in the path, a tenant, a client id) and when: the next
``times`` matching requests (default 1; None: all of them), after letting
``after`` through, every ``every``-th, or each with a seeded
``probability``. Rules are tried in the order they were added; the first
that fires decides the request. Every rule counts what it matched and how
often it fired, so a test can assert the fault was met.

The kinds, and what the client sees:

- ``status``: 500 (an ``ApiErrorResponse``), or 502 / 503 / 504 (a
  gateway's HTML page);
- ``rate_limited``: 429 with ``Retry-After``, or with only the title
  "... Try again in N seconds." (``header=False``);
- ``slow``: the answer comes ``seconds`` late (past a client's read timeout);
- ``drop``: the connection closes without an answer, or mid-body
  (``mid_body=True``: the headers and half the body);
- ``revoke_token``: the request's token stops working before its
  ``expires_in``: this request and every later one with it get 401;
- ``invalid_client``: the token endpoint refuses the client's credentials;
- ``malformed``: the page is ``not_json``, ``no_data`` (JSON without
  ``data``) or ``other_entity`` (a page of another entity's records).
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field, fields

KINDS = (
    "status", "rate_limited", "slow", "drop", "revoke_token", "invalid_client", "malformed"
)  # fmt: skip
MALFORMED = ("not_json", "no_data", "other_entity")
GATEWAY_STATUSES = (502, 503, 504)


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 500
    retry_after: int = 1
    header: bool = True
    seconds: float = 0.0
    mid_body: bool = False
    malformed: str = "not_json"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"no fault {self.kind!r}: one of {', '.join(KINDS)}")
        if self.kind == "status" and self.status not in (500, *GATEWAY_STATUSES):
            raise ValueError(f"status {self.status}: 500, 502, 503 or 504")
        if self.kind == "malformed" and self.malformed not in MALFORMED:
            raise ValueError(f"malformed {self.malformed!r}: one of {', '.join(MALFORMED)}")

    @classmethod
    def error(cls, status: int = 500) -> Fault:
        return cls("status", status=status)

    @classmethod
    def rate_limited(cls, retry_after: int = 1, header: bool = True) -> Fault:
        return cls("rate_limited", retry_after=retry_after, header=header)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def drop(cls, mid_body: bool = False) -> Fault:
        return cls("drop", mid_body=mid_body)

    @classmethod
    def revoke_token(cls) -> Fault:
        return cls("revoke_token")

    @classmethod
    def invalid_client(cls) -> Fault:
        return cls("invalid_client")

    @classmethod
    def malformed_page(cls, what: str = "not_json") -> Fault:
        return cls("malformed", malformed=what)

    def fits(self, kind: str) -> bool:
        """Whether this fault can happen to a request of ``kind``: ``token``,
        ``export``, ``list`` or ``record``."""
        if self.kind == "invalid_client":
            return kind == "token"
        if self.kind == "revoke_token":
            return kind != "token"
        if self.kind == "malformed" and self.malformed != "not_json":
            return kind in ("export", "list")
        return True


@dataclass(frozen=True)
class Call:
    """What a rule is matched against."""

    kind: str
    path: str
    tenant: int | None
    client_id: str | None


@dataclass
class Rule:
    fault: Fault
    path: str | None = None
    tenant: int | None = None
    client_id: str | None = None
    times: int | None = 1
    after: int = 0
    every: int = 1
    probability: float = 1.0
    seed: int = 0
    matched: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self):
        if self.every < 1 or self.after < 0 or not 0 <= self.probability <= 1:
            raise ValueError("every >= 1, after >= 0 and 0 <= probability <= 1")
        if self.path is not None:
            re.compile(self.path)
        self._random = random.Random(self.seed)

    def matches(self, call: Call) -> bool:
        return (
            self.fault.fits(call.kind)
            and (self.path is None or re.search(self.path, call.path) is not None)
            and self.tenant in (None, call.tenant)
            and self.client_id in (None, call.client_id)
        )

    def fire(self) -> bool:
        """Counts a matching request; whether the fault hits it."""
        self.matched += 1
        nth = self.matched - self.after
        if nth <= 0 or nth % self.every or (self.times is not None and self.fired >= self.times):
            return False
        if self.probability < 1 and self._random.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def to_json(self) -> dict:
        shown = (f.name for f in fields(self) if f.name not in ("fault", "_random"))
        return {"fault": asdict(self.fault)} | {name: getattr(self, name) for name in shown}


class Faults:
    """The rules in force, in the order they were added."""

    def __init__(self):
        self.rules: list[Rule] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault, **when) -> Rule:
        """``fault`` for the requests ``when`` says (``Rule``'s fields:
        path, tenant, client_id, times, after, every, probability, seed)."""
        rule = Rule(fault, **when)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, call: Call) -> Fault | None:
        """The fault for ``call``, if a rule fires for it."""
        with self._lock:
            chosen = None
            for rule in self.rules:
                if not rule.matches(call):
                    continue
                if chosen is None and rule.fire():
                    chosen = rule.fault
                elif chosen is not None:
                    rule.matched += 1  # met, though an earlier rule decided
            return chosen
