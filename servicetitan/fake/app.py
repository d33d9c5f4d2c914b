"""The ASGI app: the token endpoint and the API as ServiceTitan answers them,
with the fake's faults, rate limit and counters on the way.

Every API request goes through the same steps, in the order ServiceTitan's
gateway would take them: an injected fault that stands in for the network
or the gateway (a 5xx, a 429, a delay, a dropped connection, a revoked
token); then ``ST-App-Key`` and the bearer token (401, or 403 for a token
of another tenant); then the 60-a-second limit (429); then the answer,
which a ``drop`` fault may cut mid-body and a ``malformed`` one replace.
"""

from __future__ import annotations

import asyncio
import json
from secrets import compare_digest
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from servicetitan.fake import control
from servicetitan.fake.counters import TOKEN_PATH, Served
from servicetitan.fake.errors import api_error, invalid, oauth_error, rate_limited
from servicetitan.fake.faults import Call, Fault
from servicetitan.fake.pages import Invalid, export_page, list_page, one_record
from servicetitan.fake.specs import Feed, feeds

# Set by the fake's server (server.py): what can close the request's connection.
CONNECTION = "fake.connection"
FORM = "application/x-www-form-urlencoded"
NOT_JSON = "<html><body><h1>Service Unavailable</h1></body></html>"
GATEWAY = "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center></body></html>"
GATEWAY_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
    504: "504 Gateway Timeout",
}


class Dropped(Response):
    """Closes the connection: before answering, or after the headers and
    half of ``response``'s body."""

    def __init__(self, response: Response | None = None):
        self.response = response
        self.status_code = response.status_code if response else None

    async def __call__(self, scope, receive, send) -> None:
        connection = scope.get("extensions", {}).get(CONNECTION)
        if connection is None:
            raise RuntimeError("a dropped connection needs the fake's own server (server.py)")
        if self.response is not None:
            body = self.response.body
            start = {"type": "http.response.start", "status": self.status_code}
            await send(start | {"headers": self.response.raw_headers})
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
        await connection.close()


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _unauthorized(title: str) -> Response:
    return api_error(401, title, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _other_entity(feed: Feed) -> Feed:
    """A feed whose records no cache would take for ``feed``'s."""
    return feeds()["locations" if feed.entity == "jobs" else "jobs"]


async def _delay(request: Request, seconds: float) -> None:
    """Waits ``seconds``, or until the client has gone (it timed out)."""

    async def gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(gone(), seconds)
    except asyncio.TimeoutError:
        pass


async def _early(request: Request, fault: Fault | None) -> Response | None:
    """The answer of a fault that comes before anything else is looked at;
    None to go on (after a ``slow`` fault's delay)."""
    if fault is None:
        return None
    if fault.kind == "status":
        if fault.status == 500:
            return api_error(500, "An unexpected error occurred.")
        return HTMLResponse(GATEWAY.format(GATEWAY_TITLES[fault.status]), fault.status)
    if fault.kind == "rate_limited":
        return rate_limited(fault.retry_after, fault.header)
    if fault.kind == "drop" and not fault.mid_body:
        return Dropped()
    if fault.kind == "slow":
        await _delay(request, fault.seconds)
    return None


def _late(fault: Fault | None, response: Response) -> Response:
    """``response`` as a late fault leaves it: cut mid-body, or not JSON."""
    if fault is not None and fault.kind == "drop":
        return Dropped(response)
    if fault is not None and fault.kind == "malformed" and fault.malformed == "not_json":
        return HTMLResponse(NOT_JSON, 200)
    return response


class Api:
    def __init__(self, fake):
        self.fake = fake

    def _record(self, at: float, request: Request, call: Call, fault, response: Response) -> None:
        served = Served(
            at, request.method, call.path, call.tenant, response.status_code,
            fault.kind if fault else None, call.client_id,
        )  # fmt: skip
        self.fake.counters.record(served)

    async def token(self, request: Request) -> Response:
        fake, at = self.fake, self.fake.clock()
        form = parse_qs((await request.body()).decode(errors="replace"))
        client_id = form.get("client_id", [None])[0]
        tenant = fake.client(client_id)
        call = Call("token", TOKEN_PATH, tenant.tenant_id if tenant else None, client_id)
        fault = fake.faults.pick(call)
        response = await _early(request, fault) or self._token(request, form, tenant, fault)
        response = _late(fault, response)
        self._record(at, request, call, fault, response)
        return response

    def _token(self, request: Request, form: dict, tenant, fault: Fault | None) -> Response:
        if fault is not None and fault.kind == "invalid_client":
            return oauth_error("invalid_client")
        if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
            return oauth_error("invalid_request")
        if form.get("grant_type") != ["client_credentials"]:
            return oauth_error("unsupported_grant_type")
        secret = form.get("client_secret", [""])[0]
        if tenant is None or not compare_digest(secret.encode(), tenant.client_secret.encode()):
            return oauth_error("invalid_client")
        token = self.fake.tokens.issue(tenant.client_id, tenant.tenant_id)
        body = {
            "access_token": token.value,
            "token_type": "Bearer",
            "expires_in": self.fake.tokens.lifetime,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def endpoint(self, feed: Feed, kind: str):
        async def serve(request: Request) -> Response:
            return await self.serve(request, feed, kind)

        return serve

    async def serve(self, request: Request, feed: Feed, kind: str) -> Response:
        fake, at = self.fake, self.fake.clock()
        token = fake.tokens.find(_bearer(request))
        tenant_id = request.path_params["tenant"]
        call = Call(kind, request.url.path, tenant_id, token.client_id if token else None)
        fault = fake.faults.pick(call)
        if fault is not None and fault.kind == "revoke_token" and token is not None:
            token.revoked = True
        response = await _early(request, fault) or self._refused(request, tenant_id, token, at)
        if response is None:
            try:
                response = self._answer(request, feed, kind, tenant_id, fault)
            except Invalid as exc:
                response = invalid(exc.parameter, str(exc))
            response = _late(fault, response)
        self._record(at, request, call, fault, response)
        return response

    def _refused(self, request: Request, tenant_id: int, token, at: float) -> Response | None:
        fake = self.fake
        app_key = request.headers.get("st-app-key") or request.query_params.get(
            "servicetitanapplicationkey"
        )
        if not app_key or not compare_digest(app_key.encode(), fake.app_key.encode()):
            return _unauthorized("The ST-App-Key header is missing or names no application.")
        if token is None:
            return _unauthorized("The bearer access token is missing or was not issued here.")
        if not fake.tokens.usable(token):
            return _unauthorized("The access token has expired or was revoked.")
        if token.tenant_id != tenant_id or tenant_id not in fake.tenants:
            return api_error(403, f"The access token is not for tenant {tenant_id}.")
        wait = fake.limits.retry_after((app_key, tenant_id), at)
        return rate_limited(wait) if wait is not None else None

    def _answer(self, request: Request, feed: Feed, kind: str, tenant_id: int, fault) -> Response:
        fake = self.fake
        tenant, query = fake.tenants[tenant_id], request.query_params
        if fault is not None and fault.kind == "malformed" and fault.malformed == "other_entity":
            feed, query = _other_entity(feed), type(query)()
        if kind == "export":
            key, size, recent = fake.continuation_key, fake.page_size, fake.recent_changes
            response = export_page(tenant, feed, query, key, size, recent)
        elif kind == "list":
            response = list_page(tenant, feed, query)
        else:
            response = one_record(tenant, feed, request.path_params["id"])
        if fault is not None and fault.kind == "malformed" and fault.malformed == "no_data":
            page = json.loads(response.body)
            page.pop("data")
            response = JSONResponse(page)
        return response


def _route(path: str) -> str:
    return path.replace("{tenant}", "{tenant:int}").replace("{id}", "{id:int}")


async def _not_found(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        return api_error(404, f"No resource at {request.url.path}.")
    return JSONResponse({"title": exc.detail, "status": exc.status_code}, exc.status_code)


def build(fake) -> Starlette:
    api = Api(fake)
    routes = [Route(TOKEN_PATH, api.token, methods=["POST"])]
    for feed in feeds().values():
        routes.append(Route(_route(feed.export_path), api.endpoint(feed, "export")))
        routes.append(Route(_route(feed.list_path), api.endpoint(feed, "list")))
        if feed.record_path:
            routes.append(Route(_route(feed.record_path), api.endpoint(feed, "record")))
    return Starlette(
        routes=routes + control.routes(fake), exception_handlers={HTTPException: _not_found}
    )
