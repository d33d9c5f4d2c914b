"""The answers of the API: export pages, list pages and single records, in
the specs' envelopes.

Export: ``{"hasMore", "continueFrom", "data"}``. ``from`` is a
``continueFrom`` token, or a date (the first version modified at or after
it), or absent (the start of the feed). ``includeRecentChanges=true`` sends
the last few versions before the page again ahead of it, so records repeat
as the spec warns they may. ``active`` (True / False / Any, all by default)
filters a page's records without moving the feed.

List: ``{"page", "pageSize", "hasMore", "totalCount", "data"}`` of the
newest version of each record (only active ones unless ``active`` says
otherwise; ``ids`` picks up to 50), in the list schema's shape. A single
record: the list shape, 404 if there is no such record.
"""

from __future__ import annotations

from itertools import islice

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

from servicetitan.fake import continuation, moments
from servicetitan.fake.errors import api_error
from servicetitan.fake.relations import index_of, record_id
from servicetitan.fake.specs import Feed
from servicetitan.fake.tenants import Tenant

MAX_IDS = 50
MAX_PAGE_SIZE = 5000
LIST_PAGE_SIZE = 50
ACTIVE = {"true": (True,), "false": (False,), "any": (True, False)}


class Invalid(ValueError):
    """A query parameter ServiceTitan would refuse (400)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def _boolean(query: QueryParams, name: str) -> bool:
    text = query.get(name) or "false"
    if text.lower() not in ("true", "false"):
        raise Invalid(name, f"The value '{text}' is not valid.")
    return text.lower() == "true"


def _active(query: QueryParams, default: str) -> tuple[bool, ...]:
    text = query.get("active") or default
    if text.lower() not in ACTIVE:
        raise Invalid("active", f"The value '{text}' is not valid: True, Any or False.")
    return ACTIVE[text.lower()]


def _integer(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        raise Invalid(name, f"The value '{text}' is not valid.") from None
    if not low <= number <= high:
        raise Invalid(name, f"The field {name} must be between {low} and {high}.")
    return number


def _start(tenant: Tenant, feed: Feed, start: str | None, key: bytes) -> int:
    log = tenant.logs[feed.entity]
    if not start:
        return 0
    ticks = moments.parse(start)
    if ticks is not None:
        return log.first_modified_at_or_after(ticks)
    position = continuation.decode(key, f"{tenant.tenant_id}/{feed.entity}", start)
    if position is None or position > len(log):
        raise Invalid("from", f"The value '{start}' is not a continuation token or a date.")
    return position


def export_page(
    tenant: Tenant, feed: Feed, query: QueryParams, key: bytes, size: int, recent: int
) -> Response:
    log, templates = tenant.logs[feed.entity], tenant.templates[feed.entity]
    start = _start(tenant, feed, query.get("from"), key)
    repeat = _boolean(query, "includeRecentChanges")
    wanted = _active(query, "any")
    end = min(start + size, len(log))
    versions = log.slice(start - recent, start) if repeat else []
    versions += log.slice(start, end)
    data = ",".join(templates.json(v) for v in versions if v.active in wanted)
    token = continuation.encode(key, f"{tenant.tenant_id}/{feed.entity}", end)
    has_more = "true" if end < len(log) else "false"
    body = '{"hasMore":%s,"continueFrom":"%s","data":[%s]}' % (has_more, token, data)
    return Response(body.encode(), media_type="application/json")


def _shaped(tenant: Tenant, feed: Feed, version) -> dict:
    """The version in the list schema's shape (a subset of the export's)."""
    made = tenant.templates[feed.entity].record(version)
    return {name: made[name] for name in feed.schema("list")["properties"] if name in made}


def list_page(tenant: Tenant, feed: Feed, query: QueryParams) -> Response:
    log = tenant.logs[feed.entity]
    page = _integer(query, "page", 1, 1, 2**31 - 1)
    size = _integer(query, "pageSize", LIST_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    wanted = _active(query, "true")
    ids = [text for text in (query.get("ids") or "").split(",") if text.strip()]
    if len(ids) > MAX_IDS:
        raise Invalid("ids", f"At most {MAX_IDS} ids.")
    try:
        indexes = [index_of(feed.entity, int(text)) for text in ids]
    except ValueError:
        raise Invalid("ids", f"The value '{query['ids']}' is not valid.") from None
    versions = (log.newest(i) for i in indexes) if ids else log.newest_versions()
    matching = (v for v in versions if v is not None and v.active in wanted)
    chosen = list(islice(matching, (page - 1) * size, page * size + 1))
    total = None
    if _boolean(query, "includeTotal"):
        total = sum(1 for v in log.newest_versions() if v.active in wanted)
    body = {
        "page": page,
        "pageSize": size,
        "hasMore": len(chosen) > size,
        "totalCount": total,
        "data": [_shaped(tenant, feed, v) for v in chosen[:size]],
    }
    return JSONResponse(body)


def one_record(tenant: Tenant, feed: Feed, wanted_id: int) -> Response:
    version = tenant.logs[feed.entity].newest(index_of(feed.entity, wanted_id))
    if version is None or record_id(feed.entity, version.index) != wanted_id:
        return api_error(404, f"{feed.entity.rstrip('s').capitalize()} {wanted_id} not found.")
    return JSONResponse(_shaped(tenant, feed, version))
