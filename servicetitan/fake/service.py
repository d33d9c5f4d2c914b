"""The fake ServiceTitan: its tenants and their feeds, the tokens it issued,
the faults it is told to inject, what it served; and the controls a test
uses in process (``/_fake`` offers the same over HTTP: ``control.py``).

    fake = FakeServiceTitan(tenants=[1000001], records={"jobs": 100_000})
    with fake.serving():                      # uvicorn on 127.0.0.1, a free port
        fake.env                              # SERVICETITAN_AUTH_URL, ..._API_URL, ...
        fake.faults.add(Fault.rate_limited(retry_after=2), path="export/jobs", times=3)
        fake.change(1000001, "jobs", [10000001], active=False)
        fake.counters.tokens_issued(), fake.counters.busiest_second(1000001)
        fake.newest(1000001, "jobs")          # {id: record} at its newest version
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from hashlib import blake2b

from servicetitan.fake.counters import Counters
from servicetitan.fake.faults import Faults
from servicetitan.fake.limits import RateLimit
from servicetitan.fake.relations import index_of, record_id
from servicetitan.fake.specs import feeds
from servicetitan.fake.tenants import DEFAULT_RECORDS, Tenant, derived
from servicetitan.fake.tokens import AccessTokens

DEFAULT_TENANT = 1000001


class FakeServiceTitan:
    def __init__(
        self,
        tenants: Iterable[int] = (DEFAULT_TENANT,),
        records: int | dict[str, int] = DEFAULT_RECORDS,
        *,
        page_size: int = 500,
        recent_changes: int = 5,
        token_lifetime: int = 900,
        rate_limit: int | None = 60,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``records``: per tenant, the same number for every entity, or by
        entity (``{"jobs": 100_000}``, the others 100). ``page_size``: the
        export pages' records; ``recent_changes``: the versions
        ``includeRecentChanges=true`` repeats; ``token_lifetime``: the
        tokens' ``expires_in``; ``rate_limit``: requests a second per tenant
        (None: unlimited); ``clock``: the time the limit, the tokens and
        the counters read (a ``ManualClock`` in deterministic tests)."""
        if page_size < 1 or recent_changes < 0 or token_lifetime < 1:
            raise ValueError("page_size and token_lifetime >= 1, recent_changes >= 0")
        self.seed = seed
        self.records = records
        self.page_size = page_size
        self.recent_changes = recent_changes
        self.clock = clock
        self.app_key = "ak1.fake" + derived(seed, "app", 16)
        self.continuation_key = blake2b(f"{seed}:continuation".encode()).digest()[:32]
        self.tenants: dict[int, Tenant] = {}
        self.tokens = AccessTokens(token_lifetime, clock)
        self.faults = Faults()
        self.counters = Counters()
        self.limits = RateLimit(rate_limit)
        self.url: str | None = None
        for tenant_id in tenants:
            self.add_tenant(tenant_id)

    def add_tenant(self, tenant_id: int, records: int | dict[str, int] | None = None) -> Tenant:
        """A new tenant with its own credentials (``records`` as the
        constructor's, by default the same)."""
        if tenant_id in self.tenants:
            raise ValueError(f"tenant {tenant_id} exists")
        tenant = Tenant.make(tenant_id, self.records if records is None else records, self.seed)
        self.tenants[tenant_id] = tenant
        return tenant

    def tenant(self, tenant_id: int) -> Tenant:
        if tenant_id not in self.tenants:
            raise KeyError(f"no tenant {tenant_id}")
        return self.tenants[tenant_id]

    def client(self, client_id: str | None) -> Tenant | None:
        """The tenant whose client id is ``client_id``."""
        return next((t for t in self.tenants.values() if t.client_id == client_id), None)

    def _log(self, tenant_id: int, entity: str):
        if entity not in feeds():
            raise KeyError(f"no entity {entity!r}: one of {', '.join(feeds())}")
        return self.tenant(tenant_id).logs[entity]

    def change(
        self, tenant_id: int, entity: str, ids: Iterable[int], active: bool | None = None
    ) -> list[dict]:
        """New versions of the records ``ids``: new content, and ``active``
        set if given (False: deactivated or deleted, as ServiceTitan's
        exports show both). They are appended to the feed; returns them."""
        log = self._log(tenant_id, entity)
        ids = list(ids)
        missing = [i for i in ids if log.newest(index_of(entity, i)) is None]
        if missing:
            raise KeyError(f"tenant {tenant_id} has no {entity} {missing}")
        versions = log.change([index_of(entity, i) for i in ids], active)
        return self._records(tenant_id, entity, versions)

    def add_records(self, tenant_id: int, entity: str, count: int) -> list[dict]:
        """``count`` new records at the end of the feed; returns them."""
        return self._records(tenant_id, entity, self._log(tenant_id, entity).add(count))

    def _records(self, tenant_id: int, entity: str, versions) -> list[dict]:
        templates = self.tenant(tenant_id).templates[entity]
        return [templates.record(v) for v in versions]

    def newest(self, tenant_id: int, entity: str) -> dict[int, dict]:
        """Every record of the tenant's ``entity`` at its newest version, by
        id: what a cache that read the whole feed must hold."""
        log = self._log(tenant_id, entity)
        templates = self.tenant(tenant_id).templates[entity]
        return {record_id(entity, v.index): templates.record(v) for v in log.newest_versions()}

    def app(self):
        """The ASGI app: ``/connect/token``, the API, ``/_fake``."""
        from servicetitan.fake.app import build

        return build(self)

    @contextmanager
    def serving(self, port: int = 0) -> Iterator[FakeServiceTitan]:
        """Serves the fake over HTTP on 127.0.0.1 (``port`` 0: a free one)
        in a background thread, with ``url`` and ``env`` set meanwhile."""
        from servicetitan.fake.server import serve_in_thread

        with serve_in_thread(self.app(), port) as url:
            self.url = url
            try:
                yield self
            finally:
                self.url = None

    @property
    def env(self) -> dict[str, str]:
        """The environment a client needs: the URLs (while serving), the
        application key, and each tenant's id and client credentials (the
        first tenant's unnumbered, the others' with ``_2``, ``_3``...)."""
        env = {}
        if self.url:
            env |= {"SERVICETITAN_AUTH_URL": self.url, "SERVICETITAN_API_URL": self.url}
        env["SERVICETITAN_APP_KEY"] = self.app_key
        for number, tenant in enumerate(self.tenants.values(), start=1):
            suffix = "" if number == 1 else f"_{number}"
            env[f"SERVICETITAN_TENANT_ID{suffix}"] = str(tenant.tenant_id)
            env[f"SERVICETITAN_CLIENT_ID{suffix}"] = tenant.client_id
            env[f"SERVICETITAN_CLIENT_SECRET{suffix}"] = tenant.client_secret
        return env
