"""The live sync of a tenant's export feeds into the cache: ``sync_feed``.

A feed is read from where it stands (``raw.sync_state.continue_from``),
from its beginning (``full``) or from a date (``since``), page after page
while ServiceTitan says it has more. Each page is one transaction that
caches its records, the sync log's counts and the page's ``continueFrom``
(``SyncRun.cache_page``): a sync stopped at any moment, ``kill -9``
included, is resumed by the next one from the last committed page, with no
record lost (an export feed repeats a changed record later on, and the
upsert keeps the newest version) or counted twice.

A feed that answered "no more" within ``CAUGHT_UP_PAUSE`` is not asked
again (ServiceTitan asks a caught-up consumer to wait 5 to 10 minutes):
the sync says so (``CaughtUp``) instead. One sync of a tenant runs at a
time (``tenant_sync_lock``); another is refused, saying why
(``AlreadyRunning``). Neither writes a sync log.

While a page is cached, the next one is already being fetched: the API's
wait and the database's work overlap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta

from servicetitan.api.client import ExportPage, ServiceTitanClient
from servicetitan.api.errors import MalformedAnswer
from servicetitan.api.feeds import FEEDS
from servicetitan.api.settings import ApiSettings
from servicetitan.cache.bulk_upsert import UpsertResult
from servicetitan.cache.entities import page_problem
from servicetitan.cache.pages import Page
from servicetitan.cache.raw_tables import BY_ENTITY
from servicetitan.cache.sync_state import SyncState
from servicetitan.sync import abandoned
from servicetitan.sync.locks import SyncNotStarted, TenantLock, tenant_sync_lock
from servicetitan.sync.run import FeedMove, SyncRun, TenantNotConfigured
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

CAUGHT_UP_PAUSE = timedelta(minutes=5)

# Seed 002's "both": one logged run of these two feeds.
BOTH = ("customers", "invoices")
ENTITIES = (*BY_ENTITY, "both")

OnPage = Callable[[str, ExportPage, UpsertResult], None]


class CaughtUp(SyncNotStarted):
    """Every feed asked for said "no more" less than ``CAUGHT_UP_PAUSE`` ago."""

    def __init__(self, message: str, next_at: datetime):
        super().__init__(message)
        self.next_at = next_at


async def sync_feed(
    credential: ServiceTitanCredential,
    entity: str,
    *,
    full: bool = False,
    since: date | None = None,
    sync_type: str = "manual",
    on_page: OnPage | None = None,
    settings: ApiSettings | None = None,
    caught_up_pause: timedelta = CAUGHT_UP_PAUSE,
) -> ServiceTitanSyncLog:
    """Sync ``entity`` (a feed of ``BY_ENTITY``, or ``"both"``: customers and
    invoices in one log) of the credential's tenant as one logged run, and
    return its sync log: ``completed``, or ``failed`` with the reason (the
    exception is raised after it is recorded). ``full`` restarts the feed
    at its beginning, ``since`` at a date; else it goes on where it stands.
    ``sync_type`` is ``manual`` or ``scheduled``. ``on_page(feed, page,
    result)`` is called after each page is committed. ``caught_up_pause``:
    how long a caught-up feed is not asked again (the sync queue's
    ``SERVICETITAN_CAUGHT_UP_REST``).

    Raises, writing no log: ``SyncNotStarted`` (``AlreadyRunning``,
    ``CaughtUp``), ``TenantNotConfigured``, ``NotConfigured``."""
    if entity not in ENTITIES:
        raise ValueError(f"entity must be one of {', '.join(ENTITIES)}, not {entity!r}")
    if full and since is not None:
        raise ValueError("full and since cannot be given together")
    if credential.tenant_id is None:
        raise TenantNotConfigured(credential)
    names = BOTH if entity == "both" else (entity,)
    client = ServiceTitanClient(credential, settings)
    async with tenant_sync_lock(credential.tenant_id, entity) as lock:
        await abandoned.close_abandoned(lock, f"the next sync of tenant {credential.tenant_id}")
        starts = await _starts(credential.tenant_id, names, full, since, caught_up_pause)
        tables = [BY_ENTITY[name] for name in starts]
        data_type = "both" if entity == "both" else BY_ENTITY[entity].DATA_TYPE
        async with (
            client,
            SyncRun.logged(
                credential,
                tables,
                data_type,
                full=full,
                sync_type=sync_type,
                session=lock.connection,
            ) as run,
        ):
            for name, start in starts.items():
                await _sync_one(run, client, lock, name, start, on_page)
    return run.log


async def _starts(
    tenant_id: int, names: tuple[str, ...], full: bool, since: date | None, pause: timedelta
) -> dict[str, str | None]:
    """Where each feed starts (a continueFrom, a date, or None: its
    beginning); a feed caught up less than ``pause`` ago is left out, and
    ``CaughtUp`` raised if every one is."""
    starts, waiting = {}, []
    for name in names:
        if full or since is not None:
            starts[name] = since.isoformat() if since else None
            continue
        position = await SyncState.position(tenant_id, BY_ENTITY[name]._meta.tablename)
        caught_up = position.caught_up_at
        if caught_up is not None and position.read_at - caught_up < pause:
            waiting.append((name, caught_up))
        else:
            starts[name] = position.continue_from
    if not starts:
        next_at = max(at for _, at in waiting) + pause
        said = "; ".join(f"{name} at {at:%Y-%m-%d %H:%M:%S} UTC" for name, at in waiting)
        raise CaughtUp(
            f"tenant {tenant_id}: caught up ({said}): ServiceTitan asks to wait "
            f"{pause.total_seconds() / 60:g} minutes before asking again, so not before "
            f"{next_at:%H:%M:%S} UTC (--full or --since starts the feed again now)",
            next_at,
        )
    return starts


async def _sync_one(
    run: SyncRun, client: ServiceTitanClient, lock: TenantLock, name: str, start, on_page
) -> None:
    table = BY_ENTITY[name]
    position = start
    async for page in _ahead(client.export_pages(FEEDS[name], start)):
        problem = page_problem(table._meta.tablename, page.records)
        if problem:
            raise MalformedAnswer(f"page {page.number} of the {name} export feed: {problem}")
        # a last page without a continueFrom: the feed goes on from where it was
        position = page.continue_from or position
        await lock.check()
        result = await run.cache_page(
            table, Page(page.records, page.number), FeedMove(position, not page.has_more)
        )
        if on_page is not None:
            on_page(name, page, result)


async def _ahead(pages: AsyncIterator[ExportPage]) -> AsyncIterator[ExportPage]:
    """``pages``, the next one already asked for while the caller works on
    the one it was given."""
    fetching = asyncio.ensure_future(anext(pages))
    try:
        while True:
            try:
                page = await fetching
            except StopAsyncIteration:
                return
            fetching = asyncio.ensure_future(anext(pages))
            yield page
    finally:
        # stopped early (a failure, a cancel): the page asked for is not wanted
        fetching.cancel()
        await asyncio.wait([fetching])
        if not fetching.cancelled():
            fetching.exception()  # retrieved: it is not the run's outcome
        await pages.aclose()
