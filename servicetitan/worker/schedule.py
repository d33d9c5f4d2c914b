"""Which feeds are due, and the periodic task that queues them.

Every credential with a ServiceTitan tenant id, of an active company, whose
secret ServiceTitan has not rejected (``connection_status`` other than
``error``), gets each feed (``SERVICETITAN_SYNC_FEEDS``, all by default) synced every ``SERVICETITAN_SYNC_EVERY[_<FEED>]``:
a feed is due that long after its last run started (any run: a "sync now"
counts). A feed that caught up (its last page said ``hasMore`` false:
``raw.sync_state.caught_up_at``) rests ``SERVICETITAN_CAUGHT_UP_REST`` after
that, as ServiceTitan asks. A feed never synced is due now.

The schedule is worked out from the sync logs at every tick (no state of its
own to drift): a feed with a job waiting or running is not queued again.
A credential turned ``error`` drops out until its secret changes or a test
connection succeeds (either sets another status).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from platform_db.database.connection import connection as connection_for
from servicetitan.enums import SyncType
from servicetitan.tables import ServiceTitanCredential
from servicetitan.worker.queue import data_type, feed_queueing_lock, queue_sync
from servicetitan.worker.settings import Settings

SCHEDULE_LOCK = "servicetitan sync schedule"

SCHEDULE_SQL = """
WITH feeds (feed, data_type, every_seconds) AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
)
SELECT c.id AS credential_id,
       c.tenant_id,
       c.environment,
       co.name AS company,
       f.feed,
       last_run.started_at AT TIME ZONE 'UTC' AS last_started_at,
       last_run.status AS last_status,
       next_run.at AT TIME ZONE 'UTC' AS due_at,
       next_run.at <= now() AT TIME ZONE 'UTC' AND queued.id IS NULL AS due,
       queued.status AS job_status,
       queued.id AS job_id
FROM public.servicetitan_credentials c
JOIN public.companies co ON co.id = c.company_id
CROSS JOIN feeds f
LEFT JOIN LATERAL (
    -- the credential's newest runs first (idx_servicetitan_sync_logs_credential_started)
    SELECT l.started_at, l.completed_at, l.status
    FROM public.servicetitan_sync_logs l
    WHERE l.servicetitan_credential_id = c.id
      AND l.data_type = f.data_type
    ORDER BY l.started_at DESC
    LIMIT 1
) last_run ON true
-- where the feed stands: caught_up_at is set when its last page said hasMore false
LEFT JOIN raw.sync_state feed_state
    ON feed_state.tenant_id = c.tenant_id
    AND feed_state.table_name = 'st_' || f.feed
LEFT JOIN LATERAL (
    SELECT j.id, j.status::text AS status
    FROM public.procrastinate_jobs j
    WHERE j.queueing_lock = replace(replace($5, '{credential}', c.id::text), '{feed}', f.feed)
      AND j.status IN ('todo', 'doing')
    ORDER BY j.id
    LIMIT 1
) queued ON true
CROSS JOIN LATERAL (
    -- never synced: due now
    SELECT coalesce(
        greatest(
            last_run.started_at + make_interval(secs => f.every_seconds),
            (feed_state.caught_up_at + make_interval(secs => $4)) AT TIME ZONE 'UTC'
        ),
        now() AT TIME ZONE 'UTC'
    ) AS at
) next_run
WHERE c.tenant_id IS NOT NULL
  AND c.connection_status <> 'error'
  AND co.is_active
ORDER BY due_at, c.tenant_id, f.feed
"""


@dataclass(frozen=True)
class ScheduledFeed:
    credential_id: str
    tenant_id: int
    environment: str
    company: str
    feed: str
    last_started_at: datetime | None
    last_status: str | None
    due_at: datetime
    # due by the database's clock, and no job waiting or running
    due: bool
    job_status: str | None
    job_id: int | None


async def schedule(connection, settings: Settings) -> list[ScheduledFeed]:
    """Every (credential, feed) the worker keeps synced, with when it is due
    next (``due_at``) and its job, if one is queued; read on ``connection``
    (asyncpg)."""
    rows = await connection.fetch(
        SCHEDULE_SQL,
        list(settings.feeds),
        [data_type(feed) for feed in settings.feeds],
        [settings.every[feed] for feed in settings.feeds],
        settings.caught_up_rest,
        feed_queueing_lock("{credential}", "{feed}"),
    )
    return [ScheduledFeed(**{**row, "credential_id": str(row["credential_id"])}) for row in rows]


async def queue_due_feeds(settings: Settings) -> int | None:
    """Queue a scheduled run of every feed due now; how many were queued, or
    None when another worker's tick is queueing them (one tick at a time:
    one reading the schedule while another queues from its own reading would
    queue a feed again whose job has just started)."""
    async with connection_for(ServiceTitanCredential) as connection:
        # A transaction-level lock: it goes with the connection if this
        # worker dies, and works behind a transaction pooler.
        async with connection.transaction():
            if not await connection.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", SCHEDULE_LOCK
            ):
                return None
            queued = 0
            for feed in await schedule(connection, settings):
                if feed.due and await queue_sync(
                    feed.credential_id, feed.feed, SyncType.scheduled.value
                ):
                    queued += 1
            return queued


def tick_cron(seconds: float) -> str:
    """A cron line (procrastinate's, seconds last) firing every ``seconds``."""
    seconds = int(seconds)
    if seconds < 60:
        return f"* * * * * */{seconds}"
    return f"*/{max(1, seconds // 60)} * * * *"
