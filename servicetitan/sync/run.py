"""A sync run: pages of API records into cache tables for a credential's
tenant, with a ``servicetitan_sync_logs`` row and ``raw.sync_state`` kept
(``SyncRun``; ``run_sync`` runs one table's pages through it).

Each page is one transaction: its records, the log's counts so far and, for
an export feed, the feed's position commit together. A failure mid-run
leaves the pages before it cached, never part of a page, and the log ``failed`` with
the reason, also when the run is cancelled or interrupted (``CancelledError``,
``KeyboardInterrupt``): the failure is recorded shielded from a further
cancellation, then re-raised. Records rejected as malformed do not fail a run: they are
counted as failed in the log and listed in its ``error_details``.

The failure's message is made storable (no NUL, no lone surrogate, at most
``MAX_MESSAGE_LENGTH`` characters); should recording it fail all the same, a
minimal failure is recorded instead, and either way the caller gets the
run's own exception, never one from recording it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from platform_db.database.connection import connection as connection_for
from platform_db.values.rejections import DataRejected
from servicetitan.cache.bulk_upsert import UpsertResult, check_tenant
from servicetitan.cache.pages import Page, page_records
from servicetitan.cache.raw_tables import CacheTable
from servicetitan.cache.sync_state import SyncState
from servicetitan.sync import abandoned
from servicetitan.sync.locks import own_session
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

# A sync log row stays readable: beyond this many, rejects are only counted.
MAX_REJECTS_LOGGED = 1000
# An exception's text can be anything, a whole page included.
MAX_MESSAGE_LENGTH = 2000

logger = logging.getLogger(__name__)


class TenantNotConfigured(DataRejected):
    """A credential without the ServiceTitan tenant id a sync needs."""

    def __init__(self, credential: ServiceTitanCredential):
        super().__init__(
            credential._meta.tablename,
            "tenant_id",
            None,
            f"credential {credential.id} has no tenant_id: set the ServiceTitan tenant id "
            "of these credentials before syncing",
        )


def _rejects(total: UpsertResult) -> dict | None:
    if not total.rejected:
        return None
    return {
        "rejected": [r.as_dict() for r in total.rejected[:MAX_REJECTS_LOGGED]],
        "rejected_total": len(total.rejected),
    }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError):
        return f"cancelled ({type(exc).__name__}{f': {exc}' if str(exc) else ''})"
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def storable(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """``text`` as a text column can hold it: NUL written as ``\\x00``, a lone
    surrogate as ``?``, cut to ``limit`` characters."""
    text = text.replace("\x00", "\\x00")
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _record_failure(
    log: ServiceTitanSyncLog,
    tenant_id: int,
    tablename: str,
    message: str,
    details: dict,
    total: UpsertResult,
) -> None:
    """Fail the log and note the error in ``raw.sync_state``; what cannot be
    recorded is logged, never raised over the run's own exception."""
    try:
        await log.fail(
            message,
            {**details, **(_rejects(total) or {})},
            processed=total.processed,
            successful=total.successful,
            failed=len(total.rejected),
        )
    except Exception:
        logger.exception("sync log %s: its failure could not be recorded in full", log.id)
        try:
            await log.fail(f"{tablename} sync failed ({details['exception']})")
        except Exception:
            logger.exception("sync log %s: its failure could not be recorded at all", log.id)
    try:
        await SyncState.record_failure(tenant_id, tablename, message)
    except Exception:
        logger.exception("raw.sync_state: the failure of %s could not be recorded", tablename)


@dataclass(frozen=True)
class FeedMove:
    """Where an export feed goes on after a page (``continueFrom``), and
    whether that page said it had no more."""

    continue_from: str | None
    caught_up: bool


@asynccontextmanager
async def _holding(session) -> AsyncIterator:
    """``session``, or a session of its own opened for the block and closed
    after it (which lets go of the log's lock once the log is closed)."""
    if session is not None:
        yield session
        return
    opened = await own_session()
    try:
        yield opened
    finally:
        await opened.close()


class SyncRun:
    """One logged run: pages of one or more cache tables, each page one
    transaction that caches its records, updates the log's counts and, for
    an export feed, moves the feed's position in ``raw.sync_state``. Made
    by ``SyncRun.logged``."""

    def __init__(self, credential, tenant_id: int, log: ServiceTitanSyncLog, connection):
        self.credential = credential
        self.tenant_id = tenant_id
        self.log = log
        self.connection = connection
        self.total = UpsertResult()
        self.pages_done = 0
        # table -> records it cached (inserted, updated or unchanged) in this run
        self.successful: dict[type[CacheTable], int] = {}
        self.current: type[CacheTable] | None = None

    @classmethod
    @asynccontextmanager
    async def logged(
        cls,
        credential: ServiceTitanCredential,
        tables: list[type[CacheTable]],
        data_type: str,
        *,
        full: bool,
        sync_type: str = "manual",
        session=None,
    ) -> AsyncIterator[SyncRun]:
        """A run of ``tables`` logged as ``data_type``: ``completed`` when the
        block ends, or ``failed`` with the reason when it raises (also when
        cancelled or interrupted: the failure is recorded shielded from a
        further cancellation, then re-raised); ``raw.sync_state`` says so per
        table, ``full`` naming a full or an incremental sync. The log's lock
        (``servicetitan.sync.abandoned``) is held on ``session`` (a session
        of its own, e.g. the tenant lock's, closed after the run by its
        owner), or on one opened for the run: a run killed without a word
        leaves a log that the next sync or the worker's tick closes."""
        label = " and ".join(table._meta.tablename for table in tables)
        if credential.tenant_id is None:
            raise TenantNotConfigured(credential)
        tenant_id = check_tenant(label, credential.tenant_id)
        async with _holding(session) as held:
            async with cls._logged(
                credential, tables, data_type, tenant_id, full, sync_type, held
            ) as run:
                yield run

    @classmethod
    @asynccontextmanager
    async def _logged(cls, credential, tables, data_type, tenant_id, full, sync_type, session):
        label = " and ".join(table._meta.tablename for table in tables)
        as_of = datetime.now(timezone.utc)
        log = await ServiceTitanSyncLog.start(
            credential.id, sync_type, data_type, await abandoned.hold(session)
        )
        run = None
        try:
            async with connection_for(ServiceTitanSyncLog) as connection:
                run = cls(credential, tenant_id, log, connection)
                yield run
                for table in run.successful:
                    # A bulk load leaves its GIN entries in the index's
                    # pending list, which every containment query scans in
                    # full (and the planner then avoids the index): merge
                    # them now, once per run.
                    await connection.execute(
                        "SELECT gin_clean_pending_list($1::regclass)", table.full_data_index()
                    )
        except BaseException as exc:
            # BaseException: a cancelled task (CancelledError) or Ctrl-C must not
            # leave the log ``running``. The record is shielded, so cancelling
            # the run again while it is written does not cut it short.
            total = run.total if run else UpsertResult()
            pages_done = run.pages_done if run else 0
            failed_table = (run and run.current) or tables[0]
            message = storable(
                f"{label} sync for tenant {tenant_id} failed after {pages_done} "
                f"page(s): {_reason(exc)}"
            )
            details = {
                "table": failed_table._meta.tablename,
                "pages_done": pages_done,
                "exception": type(exc).__name__,
            }
            await asyncio.shield(
                _record_failure(
                    log, tenant_id, failed_table._meta.tablename, message, details, total
                )
            )
            raise
        total = run.total
        await log.complete(total.processed, total.successful, len(total.rejected), _rejects(total))
        for table, successful in run.successful.items():
            await SyncState.record_success(
                tenant_id, table._meta.tablename, full, as_of, successful
            )

    async def cache_page(
        self, table: type[CacheTable], page: Page, move: FeedMove | None = None
    ) -> UpsertResult:
        """Cache ``page``'s records in one transaction with the log's new
        counts and, given ``move``, the feed's new position: all of it
        commits, or none."""
        self.current = table
        async with self.connection.transaction():
            result = await table.upsert(self.tenant_id, page.records, connection=self.connection)
            after = UpsertResult(rejected=[*self.total.rejected, *result.rejected])
            after.inserted = self.total.inserted + result.inserted
            after.updated = self.total.updated + result.updated
            after.unchanged = self.total.unchanged + result.unchanged
            await self.log.record_progress(
                self.connection, after.processed, after.successful, len(after.rejected)
            )
            if move is not None:
                await SyncState.record_page(
                    self.connection,
                    self.tenant_id,
                    table._meta.tablename,
                    move.continue_from,
                    move.caught_up,
                )
        self.total.add(result, page=page.number, file=page.file)
        self.successful[table] = self.successful.get(table, 0) + result.successful
        self.pages_done += 1
        return result


async def run_sync(
    credential: ServiceTitanCredential,
    table: type[CacheTable],
    pages,
    *,
    full: bool,
    sync_type: str = "manual",
    on_page=None,
) -> tuple[ServiceTitanSyncLog, UpsertResult]:
    """Upsert ``pages`` (``Page``s, list / export envelopes or lists of
    records) into ``table`` for the credential's tenant; each rejected
    record is logged with its page (and file). ``full`` says whether the pages are
    everything the tenant has (a full sync) or what changed (incremental).
    ``on_page(result)`` is called after each page lands."""
    async with SyncRun.logged(
        credential, [table], table.DATA_TYPE, full=full, sync_type=sync_type
    ) as run:
        for number, page in enumerate(pages, start=1):
            if not isinstance(page, Page):
                page = Page(page_records(page, f"page {number}"), number)
            result = await run.cache_page(table, page)
            if on_page is not None:
                on_page(result)
    return run.log, run.total
