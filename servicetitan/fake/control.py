"""``/_fake``: the fake's controls over HTTP, for a fake in another process
(``python -m servicetitan.fake``, a benchmark). Not ServiceTitan's: no
token, no app key, never counted. Bodies and answers are JSON.

- ``GET /_fake``: the application key, the tenants with their credentials
  and record counts, the page size, the tokens' lifetime;
- ``POST /_fake/tenants`` ``{"tenant_id", "records"?}``: another tenant;
- ``GET /_fake/tenants/{tenant}/{entity}``: every record at its newest version;
- ``POST /_fake/tenants/{tenant}/{entity}/change`` ``{"ids", "active"?}``
  and ``.../add`` ``{"count"}``: new versions, appended to the feed;
- ``GET|POST|DELETE /_fake/faults``: the rules; a new one is
  ``{"kind": "rate_limited", "retry_after": 2, "path": "export/jobs",
  "times": 3}`` (``Fault``'s and ``Rule``'s fields, ``faults.py``);
- ``GET|DELETE /_fake/requests`` (``?tenant=&path=``): what was served;
- ``GET /_fake/stats``: tokens issued per client, the busiest second per tenant;
- ``POST /_fake/tokens/revoke`` ``{"client_id"?}``: tokens stop working.
"""

from __future__ import annotations

from dataclasses import fields

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicetitan.fake.faults import Fault, Rule

FAULT_FIELDS = {f.name for f in fields(Fault)}
RULE_FIELDS = {f.name for f in fields(Rule) if f.init and f.name != "fault"}


def _refused(exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, 400)


def routes(fake) -> list[Route]:
    async def body(request: Request) -> dict:
        return await request.json() if await request.body() else {}

    def handle(action):
        async def endpoint(request: Request) -> JSONResponse:
            try:
                return JSONResponse(action(request, await body(request)))
            except (ValueError, KeyError, TypeError) as exc:
                return _refused(exc)

        return endpoint

    def summary(request, _):
        return {
            "app_key": fake.app_key,
            "page_size": fake.page_size,
            "token_lifetime": fake.tokens.lifetime,
            "tenants": [
                {
                    "tenant_id": t.tenant_id,
                    "client_id": t.client_id,
                    "client_secret": t.client_secret,
                    "records": {entity: log.count for entity, log in t.logs.items()},
                }
                for t in fake.tenants.values()
            ],
        }

    def add_tenant(request, sent):
        tenant = fake.add_tenant(int(sent["tenant_id"]), sent.get("records"))
        return {"tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
                "client_secret": tenant.client_secret}  # fmt: skip

    def where(request) -> tuple[int, str]:
        return int(request.path_params["tenant"]), request.path_params["entity"]

    def newest(request, _):
        return list(fake.newest(*where(request)).values())

    def change(request, sent):
        return fake.change(*where(request), sent["ids"], sent.get("active"))

    def add_records(request, sent):
        return fake.add_records(*where(request), int(sent["count"]))

    def faults(request, sent):
        if request.method == "POST":
            fault = Fault(**{k: v for k, v in sent.items() if k in FAULT_FIELDS})
            fake.faults.add(fault, **{k: v for k, v in sent.items() if k in RULE_FIELDS})
        elif request.method == "DELETE":
            fake.faults.clear()
        return [rule.to_json() for rule in fake.faults.rules]

    def requests(request, _):
        if request.method == "DELETE":
            fake.counters.clear()
        query = request.query_params
        tenant = int(query["tenant"]) if query.get("tenant") else None
        return [s.to_json() for s in fake.counters.requests(tenant, query.get("path"))]

    def stats(request, _):
        clients = {t.client_id: t for t in fake.tenants.values()}
        return {
            "tokens_issued": {c: fake.counters.tokens_issued(c) for c in clients},
            "busiest_second": {t: fake.counters.busiest_second(t) for t in fake.tenants},
        }

    def revoke(request, sent):
        return {"revoked": fake.tokens.revoke(sent.get("client_id"))}

    return [
        Route("/_fake", handle(summary)),
        Route("/_fake/tenants", handle(add_tenant), methods=["POST"]),
        Route("/_fake/tenants/{tenant:int}/{entity}", handle(newest)),
        Route("/_fake/tenants/{tenant:int}/{entity}/change", handle(change), methods=["POST"]),
        Route("/_fake/tenants/{tenant:int}/{entity}/add", handle(add_records), methods=["POST"]),
        Route("/_fake/faults", handle(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_fake/requests", handle(requests), methods=["GET", "DELETE"]),
        Route("/_fake/stats", handle(stats)),
        Route("/_fake/tokens/revoke", handle(revoke), methods=["POST"]),
    ]
