"""The procrastinate app of the ServiceTitan sync queue and its connection.

procrastinate speaks psycopg 3; the syncs themselves keep asyncpg (Piccolo's
engine). The queue connects to ``DATABASE_DIRECT_URL`` when it is set (the
server itself, when ``DATABASE_URL`` is a transaction pooler), else to
``DATABASE_URL``, else to the embedded server's Unix socket: a worker
``LISTEN``s for new jobs, which needs a session of its own. Nothing is
prepared by name (``prepare_threshold=None``), so the queue's statements also
pass a transaction pooler when no direct address is given; the worker then
polls instead of listening (``listens``).

The connection is worked out when the app is opened, not when this module is
imported: importing it (every ``piccolo`` command does) starts no server.
"""

from __future__ import annotations


import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued

from platform_db.database.engine import database_url
from platform_db.database.pooler import direct_url
from servicetitan.enums import SyncType
from servicetitan.worker.settings import FEEDS

QUEUE = "servicetitan"
APPLICATION_NAME = "platform-data-queue"
SYNC_TASK = "servicetitan.sync_feed"
# The sync log's data_type of each feed (its VARCHAR(20) has no room for
# appointment_assignments).
DATA_TYPES = {"appointment_assignments": "assignments"}
# A "sync now" goes ahead of the tenant's scheduled runs waiting.
PRIORITY = {SyncType.manual.value: 10, SyncType.scheduled.value: 0}


def queue_url() -> str:
    """Where the queue's connections go (see the module's docstring)."""
    return direct_url() or database_url()


class QueueConnector(procrastinate.PsycopgConnector):
    """procrastinate's psycopg connector, its address worked out each time
    it is opened (from the environment of that moment)."""

    async def open_async(self, pool=None) -> None:
        if pool is None:
            self._pool_args.update(
                conninfo=queue_url(),
                kwargs={"application_name": APPLICATION_NAME, "prepare_threshold": None},
            )
        await super().open_async(pool)


async def listens(conninfo: str | None = None) -> bool:
    """Whether ``LISTEN`` reaches the server for good: not through a pooler,
    which gives its clients a backend key of its own, so the process id a
    connection was told at startup is not the one serving its statements."""
    async with await psycopg.AsyncConnection.connect(
        conninfo or queue_url(), application_name=APPLICATION_NAME, autocommit=True
    ) as connection:
        told = connection.info.backend_pid
        cursor = await connection.execute("SELECT pg_backend_pid()")
        (serving,) = await cursor.fetchone()
    return told == serving


app = procrastinate.App(connector=QueueConnector(min_size=1, max_size=10))


def sync_lock(credential_id) -> str:
    """One run at a time per credential (its tenant in its environment), any
    feed: ServiceTitan's 60 requests a second are per tenant, and a process
    holds them for the tenants it syncs."""
    return f"servicetitan-sync:{credential_id}"


def feed_queueing_lock(credential_id, feed: str) -> str:
    """One job waiting per credential and feed."""
    return f"servicetitan-sync:{credential_id}:{feed}"


def data_type(feed: str) -> str:
    return DATA_TYPES.get(feed, feed)


async def queue_sync(credential_id, feed: str, trigger: str) -> int | None:
    """Queue a run of ``feed`` for a credential (the app must be open): its
    job id, or None when one is already waiting (never two)."""
    task = app.configure_task(
        SYNC_TASK,
        queue=QUEUE,
        lock=sync_lock(credential_id),
        queueing_lock=feed_queueing_lock(credential_id, feed),
        priority=PRIORITY[trigger],
    )
    try:
        return await task.defer_async(credential_id=str(credential_id), feed=feed, trigger=trigger)
    except AlreadyEnqueued:
        return None


async def queue_feeds(credential, entity: str) -> dict[str, int | None]:
    """``piccolo servicetitan sync <entity> <tenant> --queue``: a manual run
    of each feed of ``entity`` (a feed, ``both``: customers and invoices,
    ``all``) queued for the workers, each said on stdout; the job ids by feed
    (None: one was already waiting)."""
    feeds = {"all": FEEDS, "both": ("customers", "invoices")}.get(entity, (entity,))
    queued = {}
    async with app.open_async():
        for feed in feeds:
            queued[feed] = job = await queue_sync(credential.id, feed, SyncType.manual.value)
            print(f"{feed}: queued as job {job}" if job else f"{feed}: a job is already waiting")
    print(
        f"tenant {credential.tenant_id}: {sum(1 for j in queued.values() if j)} run(s) queued "
        "for `piccolo servicetitan worker` (the admin's Sync queue page shows them)"
    )
    return queued
