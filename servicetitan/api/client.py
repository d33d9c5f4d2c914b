"""The ServiceTitan API client of one credential: an httpx ``AsyncClient``
(connections kept alive and reused, timeouts from ``ApiSettings``) whose
requests carry the credential's token and the application key
(``CredentialAuth``), wait for the tenant's rate limit, and are retried as
``retries`` says; an answer that is not a success becomes one of
``servicetitan.api.errors``.

    async with ServiceTitanClient(credential) as client:
        check = await client.test_connection()
        async for page in client.export_pages(FEEDS["jobs"], start=None):
            ...
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import orjson

from servicetitan.api.auth import CredentialAuth
from servicetitan.api.errors import (
    ApiError,
    CredentialsRejected,
    MalformedAnswer,
    Unreachable,
    clipped,
    detail_of,
)
from servicetitan.api.feeds import PROBE, ExportFeed
from servicetitan.api.limits import tenant_limit
from servicetitan.api.retries import RetryLater, retry_after, retrying
from servicetitan.api.settings import ApiSettings
from servicetitan.api.tokens import CredentialTokens
from servicetitan.tables import ServiceTitanCredential

# Connections kept open to ServiceTitan: a sync asks one page at a time,
# and reads the next while the last one is cached.
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One per process: httpx builds a new one for every client, loading the
    CA bundle each time (~40 ms of CPU, ~200 ms on a busy machine), which a
    worker running thousands of syncs would pay for each."""
    return httpx.create_ssl_context()

logger = logging.getLogger(__name__)


class TenantMissing(ValueError):
    """A credential without the ServiceTitan tenant id every API call names."""


@dataclass(frozen=True)
class ExportPage:
    """One page of an export feed: its records, where the feed goes on
    (``continue_from``), whether there is more, and its number in this run
    (from 1)."""

    records: list
    continue_from: str | None
    has_more: bool
    number: int


@dataclass(frozen=True)
class ConnectionCheck:
    """A working connection: when the new token expires (UTC) and how long
    the API call took."""

    token_expires_at: datetime
    call_seconds: float


class ServiceTitanClient:
    def __init__(self, credential: ServiceTitanCredential, settings: ApiSettings | None = None):
        if credential.tenant_id is None:
            raise TenantMissing(
                f"credential {credential.id} has no tenant_id: set the ServiceTitan tenant id "
                "of these credentials first (piccolo servicetitan set_tenant_id)"
            )
        self.credential = credential
        self.tenant_id = credential.tenant_id
        self.settings = settings or ApiSettings.for_environment(credential.environment)
        self.http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> ServiceTitanClient:
        self.http = httpx.AsyncClient(
            timeout=self.settings.timeout, limits=LIMITS, verify=_ssl_context()
        )
        self.tokens = CredentialTokens(self.credential, self.settings, self.http)
        self.auth = CredentialAuth(self.tokens, self.settings.app_key, tenant_limit(self.tenant_id))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    async def get(self, path: str, params: dict | None = None) -> httpx.Response:
        """GET ``path`` of the API (``/jpm/v2/tenant/...``): its 200 answer."""
        what = f"GET {path}"
        async for attempt in retrying(what):
            with attempt:
                return await self._attempt(what, path, params)
        raise AssertionError("unreachable: tenacity returns or raises")

    async def _attempt(self, what: str, path: str, params) -> httpx.Response:
        try:
            response = await self.http.get(
                self.settings.api_url + path, params=params, auth=self.auth
            )
        except httpx.TimeoutException as exc:
            why = f"no answer in time ({type(exc).__name__})"
            raise RetryLater(why, Unreachable(f"ServiceTitan: {what}: {why}")) from None
        except httpx.TransportError as exc:
            why = f"{type(exc).__name__}: {clipped(str(exc)) or 'connection lost'}"
            raise RetryLater(why, Unreachable(f"ServiceTitan: {what}: {why}")) from None
        status = response.status_code
        # the path and the query (from=, pageSize=): never a header, so no secret
        logger.debug("%s %s -> %s", what, params or {}, status)
        if status == 200:
            return response
        detail = detail_of(status, response.reason_phrase, response.content)
        final = ApiError("GET", path, status, detail)
        if status == 429:
            wait = retry_after(response.headers.get("Retry-After"), detail)
            self.auth.limit.pause(wait)
            raise RetryLater(f"429: {detail}", final, after=wait)
        if status >= 500:
            raise RetryLater(f"{status}: {detail}", final)
        if status in (401, 403):
            # after a new token (the auth flow's one retry): these
            # credentials may not read this tenant
            rejected = CredentialsRejected(
                f"ServiceTitan refused the credentials for tenant {self.tenant_id}: {final}"
            )
            await self.credential.record_connection_failure(str(rejected), rejected=True)
            raise rejected
        raise final

    async def test_connection(self) -> ConnectionCheck:
        """Obtain a new token with the stored client id and secret, and make
        the cheapest API call with it; both are recorded on the credential."""
        token = await self.tokens.refresh(force=True)
        module, resource, params = PROBE
        started = time.monotonic()
        await self.get(f"/{module}/v2/tenant/{self.tenant_id}/{resource}", params)
        return ConnectionCheck(token.expires_at, time.monotonic() - started)

    async def export_pages(self, feed: ExportFeed, start: str | None) -> AsyncIterator[ExportPage]:
        """The feed's pages from ``start`` (a ``continueFrom``, a date, or
        None for its beginning) until one says it has no more."""
        path = feed.path(self.tenant_id)
        continue_from, number = start, 0
        while True:
            number += 1
            response = await self.get(path, {"from": continue_from} if continue_from else None)
            page = _export_page(response, feed, number)
            yield page
            if not page.has_more:
                return
            continue_from = page.continue_from


def _json(body: bytes):
    """The JSON document ``body``: orjson reads a 500-record page several
    times faster than the standard library (half the time a sync spent
    outside the upsert: bench/live_sync.py). What orjson refuses and the
    standard library reads (NaN, an integer beyond 64 bits, a lone surrogate
    escape) is read by the standard library, so that the upsert rejects that
    one record, with its reason, rather than the whole page failing."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _export_page(response: httpx.Response, feed: ExportFeed, number: int) -> ExportPage:
    where = f"page {number} of the {feed.entity} export feed"
    try:
        answer = _json(response.content)
    except ValueError as exc:
        raise MalformedAnswer(f"{where} is not JSON ({clipped(str(exc), 120)})") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
        raise MalformedAnswer(f"{where} is not an export page: it has no 'data' list of records")
    has_more, continue_from = answer.get("hasMore"), answer.get("continueFrom")
    if type(has_more) is not bool or (has_more and not isinstance(continue_from, str)):
        raise MalformedAnswer(
            f"{where} is not an export page: it needs hasMore (true or false) and, with more "
            "to come, a continueFrom"
        )
    return ExportPage(answer["data"], continue_from, has_more, number)


async def check_connection(
    credential: ServiceTitanCredential, settings: ApiSettings | None = None
) -> ConnectionCheck:
    """``ServiceTitanClient.test_connection`` for ``credential``: what the
    ``test_connection`` command and the admin's "Test connection" run."""
    async with ServiceTitanClient(credential, settings) as client:
        return await client.test_connection()
