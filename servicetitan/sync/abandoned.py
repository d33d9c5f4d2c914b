"""Sync logs whose run is gone: closed as ``failed``, never one whose run is
alive.

Every run holds, for as long as its log is ``running``, a session advisory
lock keyed by its log's id (``hold``), taken before the log exists (its id is
chosen first), on a session of its own (the tenant lock's for a live sync,
``servicetitan.sync.locks``; one opened for it for a load). PostgreSQL drops
that lock with the session when the run's process dies (``kill -9``
included) or its connection is lost, whichever machine it ran on. So a
``running`` log whose lock can be taken has no run: it is closed as failed,
saying so, with the counts of the pages its run committed, while the lock is
held (its run cannot come back meanwhile), through
``ServiceTitanSyncLog.fail`` (only a running log moves: the table's history
trigger allows nothing else).

The closing is done under the tenant's sync lock too (``close_abandoned``):
a live sync of the tenant opened by a version that held no log lock is
never taken for dead. Who closes: the next sync of the tenant, once it holds
the tenant's lock and before it opens its own log; and the worker's
periodic tick (``close_abandoned_runs``), for every tenant no sync holds.
"""

from __future__ import annotations

import logging
import uuid

import asyncpg

from platform_db.database.connection import fetch
from servicetitan.sync.locks import AlreadyRunning, TenantLock, tenant_sync_lock
from servicetitan.tables import ServiceTitanSyncLog, SyncLogNotRunning

logger = logging.getLogger(__name__)

# The running logs of every credential of a tenant (a tenant's credentials
# share its sync lock).
RUNNING_SQL = """
SELECT l.id
FROM public.servicetitan_credentials c
JOIN public.servicetitan_sync_logs l ON l.servicetitan_credential_id = c.id
WHERE c.tenant_id = $1 AND l.status = 'running'
ORDER BY l.started_at
"""

TENANTS_SQL = """
SELECT DISTINCT c.tenant_id
FROM public.servicetitan_sync_logs l
JOIN public.servicetitan_credentials c ON c.id = l.servicetitan_credential_id
WHERE l.status = 'running' AND c.tenant_id IS NOT NULL
"""


def _key(log_id) -> str:
    return f"servicetitan sync log {log_id}"


async def hold(session: asyncpg.Connection) -> uuid.UUID:
    """The id for a new log, its lock held by ``session`` until it closes."""
    log_id = uuid.uuid4()
    await session.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", _key(log_id))
    return log_id


async def close_abandoned(lock: TenantLock, noticed_by: str) -> int:
    """Close as failed every running log of the lock's tenant whose run is
    gone (its log lock free); how many. ``noticed_by`` says who closed it."""
    closed = 0
    session = lock.connection
    for row in await fetch(ServiceTitanSyncLog, RUNNING_SQL, lock.tenant_id):
        key = _key(row["id"])
        if not await session.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key):
            continue  # its run is alive (a load, which holds no tenant lock)
        try:
            log = await ServiceTitanSyncLog.objects().get(ServiceTitanSyncLog.id == row["id"])
            await log.fail(
                "its run ended without closing this log (its process was killed or lost its "
                f"database connection), noticed by {noticed_by}: the pages it committed stay "
                "cached and are counted here, and the next sync goes on from the stored "
                "continueFrom",
                {"reason": "run_abandoned", "noticed_by": noticed_by},
                processed=log.records_processed or 0,
                successful=log.records_successful or 0,
                failed=log.records_failed or 0,
            )
            closed += 1
            logger.warning("sync log %s of a run that is gone closed as failed", log.id)
        except SyncLogNotRunning:
            pass  # its run closed it before it let go of the lock
        finally:
            await session.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
    return closed


async def close_abandoned_runs(noticed_by: str = "the worker's periodic tick") -> int:
    """``close_abandoned`` for every tenant with a running log that no sync
    holds (one that does is left for its next sync or a later tick); how many."""
    closed = 0
    for row in await fetch(ServiceTitanSyncLog, TENANTS_SQL):
        try:
            async with tenant_sync_lock(row["tenant_id"], "the closing of abandoned logs") as lock:
                closed += await close_abandoned(lock, noticed_by)
        except AlreadyRunning:
            continue
    return closed
