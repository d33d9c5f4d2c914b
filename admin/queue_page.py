"""The ServiceTitan sync queue in the admin (``servicetitan.worker``): a
page of its own (jobs waiting, running, failed; the next scheduled run of
each credential's feeds; the workers, stalled ones first), and "Sync now"
on a credential's page, which queues a ``manual`` run of one feed or of
all of them for whichever worker is free. Read-only otherwise.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.read_routing import read
from servicetitan.enums import SyncType
from servicetitan.tables import ServiceTitanCredential
from servicetitan.worker.overview import queue_overview
from servicetitan.worker.queue import app as queue_app
from servicetitan.worker.queue import queue_sync
from servicetitan.worker.settings import FEEDS, InvalidSetting, Settings

QUEUE_PAGE = "/inspect/queue/"
ALL_FEEDS = "all"


def _settings() -> Settings:
    try:
        return Settings.from_environment()
    except InvalidSetting as exc:
        raise HTTPException(500, f"the worker's settings cannot be used: {exc}") from None


def queued_notice(request: Request) -> str:
    """What "Sync now" did, from the redirect's query."""
    queued, waiting = (
        int(value) if (value := request.query_params.get(name, "0")).isdigit() else 0
        for name in ("queued", "waiting")
    )
    return (
        f"{queued} manual sync(s) queued"
        + (f"; {waiting} feed(s) already had a job waiting" if waiting else "")
        + f" (see {QUEUE_PAGE})"
    )


async def queue_page(pages, request: Request) -> Response:
    overview = await read(queue_overview, _settings())
    return pages.render(request, "queue.html", title="Sync queue", q=overview)


async def sync_now(request: Request) -> Response:
    credential_id = request.path_params["id"]
    form = request.scope.get("form") or await request.form()
    feed = form.get("feed") or ALL_FEEDS
    if feed != ALL_FEEDS and feed not in FEEDS:
        raise HTTPException(400, f"feed must be {ALL_FEEDS} or one of {', '.join(FEEDS)}")
    credential = await ServiceTitanCredential.objects().get(
        ServiceTitanCredential.id == credential_id
    )
    if credential is None:
        raise HTTPException(404, f"no credential {credential_id}")
    if credential.tenant_id is None:
        raise HTTPException(409, "this credential has no tenant id: set it before syncing")
    feeds = FEEDS if feed == ALL_FEEDS else (feed,)
    async with queue_app.open_async():
        queued = [f for f in feeds if await queue_sync(credential.id, f, SyncType.manual.value)]
    return RedirectResponse(
        f"/inspect/credentials/{credential_id}/?done=queued&queued={len(queued)}"
        f"&waiting={len(feeds) - len(queued)}",
        303,
    )
