"""What a worker serves to Prometheus (``--metrics_port``), named as
Prometheus' guide asks: counters end in ``_total``, durations are
``_seconds`` histograms, and every label has a few known values (a feed, an
outcome, a reason, a job status): never a tenant, a credential, a client id,
a token or a secret.

| metric | labels | what |
|---|---|---|
| ``servicetitan_sync_runs_total`` | feed, outcome | runs ended: ``completed``, ``failed``, ``stopped`` (the worker stopping), ``skipped`` (credential rejected or gone) |
| ``servicetitan_sync_records_total`` | feed, result | records read: ``synced`` or ``rejected`` |
| ``servicetitan_sync_duration_seconds`` | feed | a run, start to end |
| ``servicetitan_sync_start_delay_seconds`` | trigger | from when a job could run (queued, or its retry time) to when it started |
| ``servicetitan_sync_retries_total`` | feed, reason | jobs put back for another run: ``transient``, ``worker_stopped``, ``stalled`` |
| ``servicetitan_api_rate_limited_total`` | | 429 answers from ServiceTitan |
| ``servicetitan_api_retries_total`` | reason | API requests sent again: ``rate_limited`` (a 429), ``transient`` (5xx, timeout, connection) |
| ``servicetitan_tokens_obtained_total`` | | access tokens ServiceTitan issued |
| ``servicetitan_queue_jobs`` | status | sync jobs in the queue: ``todo``, ``doing``, ``failed`` |
| ``servicetitan_queue_oldest_waiting_seconds`` | | how long the oldest job able to run has waited (0: none) |

The queue's gauges are read from the database every tick of the worker, so
every worker reports the whole queue.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from platform_db.cli import CommandError
from platform_db.database.connection import fetch
from servicetitan.tables import ServiceTitanCredential
from servicetitan.worker.queue import QUEUE

REGISTRY = CollectorRegistry()

SYNC_RUNS = Counter(
    "servicetitan_sync_runs_total",
    "Sync runs ended, by feed and outcome.",
    ["feed", "outcome"],
    registry=REGISTRY,
)
RECORDS = Counter(
    "servicetitan_sync_records_total",
    "Records read by sync runs, by feed and result (synced or rejected).",
    ["feed", "result"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "servicetitan_sync_duration_seconds",
    "Duration of a sync run.",
    ["feed"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
START_DELAY = Histogram(
    "servicetitan_sync_start_delay_seconds",
    "Time from when a sync job could run to when a worker started it.",
    ["trigger"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
JOB_RETRIES = Counter(
    "servicetitan_sync_retries_total",
    "Sync jobs put back in the queue for another run, by feed and reason.",
    ["feed", "reason"],
    registry=REGISTRY,
)
API_RATE_LIMITED = Counter(
    "servicetitan_api_rate_limited_total",
    "HTTP 429 answers from ServiceTitan's API.",
    registry=REGISTRY,
)
API_RETRIES = Counter(
    "servicetitan_api_retries_total",
    "ServiceTitan API requests sent again, by reason.",
    ["reason"],
    registry=REGISTRY,
)
TOKENS = Counter(
    "servicetitan_tokens_obtained_total",
    "Access tokens ServiceTitan issued to this worker.",
    registry=REGISTRY,
)
QUEUE_JOBS = Gauge(
    "servicetitan_queue_jobs",
    "Sync jobs in the queue, by status.",
    ["status"],
    registry=REGISTRY,
)
OLDEST_WAITING = Gauge(
    "servicetitan_queue_oldest_waiting_seconds",
    "How long the oldest sync job able to run has waited (0 when none waits).",
    registry=REGISTRY,
)

QUEUE_SQL = """
SELECT s.status,
       count(j.id) AS jobs,
       coalesce(
           extract(epoch FROM now() - min(coalesce(j.scheduled_at, deferred.at))
                   FILTER (WHERE j.status = 'todo'
                           AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))),
           0
       )::float8 AS oldest_seconds
FROM unnest(ARRAY['todo', 'doing', 'failed']) AS s (status)
LEFT JOIN public.procrastinate_jobs j
    ON j.status::text = s.status AND j.queue_name = $1
LEFT JOIN LATERAL (
    SELECT max(e.at) AS at
    FROM public.procrastinate_events e
    WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')
) deferred ON j.status = 'todo'
GROUP BY s.status
"""


START_DELAY_SQL = """
SELECT extract(epoch FROM started.at - greatest(j.scheduled_at, queued.at))::float8 AS seconds
FROM public.procrastinate_jobs j
CROSS JOIN LATERAL (
    SELECT max(e.at) AS at FROM public.procrastinate_events e
    WHERE e.job_id = j.id AND e.type = 'started'
) started
CROSS JOIN LATERAL (
    SELECT max(e.at) AS at FROM public.procrastinate_events e
    WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')
) queued
WHERE j.id = $1
"""


async def observe_start(job, trigger: str) -> None:
    """From when ``job`` could run (queued, or its retry time) to when it
    started, both by the database's clock."""
    rows = await fetch(ServiceTitanCredential, START_DELAY_SQL, job.id)
    if rows and rows[0]["seconds"] is not None:
        START_DELAY.labels(trigger=trigger).observe(max(0.0, rows[0]["seconds"]))


class ApiEvents(logging.Handler):
    """Counts what the API client logs (``servicetitan.api``): a request
    sent again (a 429 among them), and a token obtained."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "servicetitan.api.retries":
            # (what, the RetryLater, the wait, the attempt)
            args = record.args if isinstance(record.args, tuple) else ()
            if len(args) > 1 and getattr(args[1], "rate_limited", False):
                API_RATE_LIMITED.inc()
                API_RETRIES.labels(reason="rate_limited").inc()
            else:
                API_RETRIES.labels(reason="transient").inc()
        elif record.name == "servicetitan.api.tokens" and "new access token" in str(record.msg):
            TOKENS.inc()


def count_api_events() -> None:
    """Count the API client's events in this process (once)."""
    handler = ApiEvents()
    for name, level in (
        ("servicetitan.api.retries", logging.WARNING),
        ("servicetitan.api.tokens", logging.INFO),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(h, ApiEvents) for h in logger.handlers):
            logger.addHandler(handler)
        if logger.getEffectiveLevel() > level:
            logger.setLevel(level)


def record_run(feed: str, log, seconds: float) -> None:
    """A run that ended with its sync log (``completed`` or ``failed``)."""
    SYNC_RUNS.labels(feed=feed, outcome=log.status).inc()
    RECORDS.labels(feed=feed, result="synced").inc(log.records_successful or 0)
    RECORDS.labels(feed=feed, result="rejected").inc(log.records_failed or 0)
    DURATION.labels(feed=feed).observe(seconds)


async def refresh_queue_gauges() -> None:
    rows = await fetch(ServiceTitanCredential, QUEUE_SQL, QUEUE)
    for row in rows:
        QUEUE_JOBS.labels(status=row["status"]).set(row["jobs"])
    OLDEST_WAITING.set(max(row["oldest_seconds"] for row in rows))


def serve(port: int, address: str = "127.0.0.1"):
    """Serve ``/metrics`` on ``address:port`` in a thread; its server."""
    try:
        server, _thread = start_http_server(port, addr=address, registry=REGISTRY)
    except OSError as exc:
        raise CommandError(f"cannot serve metrics on {address}:{port}: {exc.strerror}") from None
    return server
