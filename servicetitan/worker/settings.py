"""The worker's settings, from the environment, each refused at once (one
line naming the variable) when it cannot be used.

Every worker and the admin read the same variables: set them alike on every
host (the schedule the admin shows is computed from them).

| variable | meaning | default |
|---|---|---|
| ``SERVICETITAN_SYNC_FEEDS`` | the feeds synced, comma-separated | all seven |
| ``SERVICETITAN_SYNC_EVERY`` | how often each feed of each credential is synced | 600 s |
| ``SERVICETITAN_SYNC_EVERY_<FEED>`` | the same for one feed (``..._JOBS``, ``..._APPOINTMENT_ASSIGNMENTS``) | ``SERVICETITAN_SYNC_EVERY`` |
| ``SERVICETITAN_CAUGHT_UP_REST`` | how long a feed that reported caught up rests | 300 s |
| ``SERVICETITAN_SCHEDULE_TICK`` | how often a worker looks for due feeds, stalled jobs | 60 s |
| ``SERVICETITAN_WORKER_HEARTBEAT`` | how often a worker says it is alive | 10 s |
| ``SERVICETITAN_WORKER_STALLED_AFTER`` | a worker silent this long is dead: its jobs run again | 30 s |
| ``SERVICETITAN_RETRY_BACKOFF`` | the wait before a failed run's first retry, doubled each time (with jitter) | 30 s |
| ``SERVICETITAN_RETRY_ATTEMPTS`` | runs of one job at most (the first included) | 5 |
| ``SERVICETITAN_JOBS_KEPT`` | finished jobs older than this are purged (whole hours) | 7 days |

Durations are seconds, or a number with ``s``, ``min``, ``h``, ``d`` (``10min``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from platform_db.values.durations import InvalidDuration, milliseconds

# The export feeds a credential is synced from, as the cache names them.
FEEDS = (
    "locations",
    "customers",
    "jobs",
    "appointments",
    "appointment_assignments",
    "technicians",
    "invoices",
)

PREFIX = "SERVICETITAN_"


class InvalidSetting(ValueError):
    """A variable of the environment that cannot be used."""


def _seconds(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = milliseconds(text if not text.replace(".", "", 1).isdigit() else f"{text}s") / 1000
    except InvalidDuration:
        raise InvalidSetting(
            f"{name} must be a duration (seconds, or e.g. 90s, 10min, 1h), not {text!r}"
        ) from None
    if value < minimum:
        raise InvalidSetting(f"{name} must be at least {minimum:g} s, not {text!r}")
    return value


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InvalidSetting(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _feeds(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    text = environ.get(name, "").strip()
    if not text:
        return FEEDS
    given = [feed.strip() for feed in text.split(",") if feed.strip()]
    unknown = [feed for feed in given if feed not in FEEDS]
    if unknown or not given:
        raise InvalidSetting(
            f"{name} must list feeds among {', '.join(FEEDS)}, not {(unknown or [text])[0]!r}"
        )
    return tuple(feed for feed in FEEDS if feed in given)


@dataclass(frozen=True)
class Settings:
    feeds: tuple[str, ...]
    # the period of every feed, synced or not
    every: dict[str, float]
    caught_up_rest: float
    tick: float
    heartbeat: float
    stalled_after: float
    retry_backoff: float
    retry_attempts: int
    jobs_kept_hours: int

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        every = _seconds(environ, f"{PREFIX}SYNC_EVERY", 600, 1)
        heartbeat = _seconds(environ, f"{PREFIX}WORKER_HEARTBEAT", 10, 0.1)
        stalled_after = _seconds(environ, f"{PREFIX}WORKER_STALLED_AFTER", 30, 0.1)
        if stalled_after <= heartbeat:
            raise InvalidSetting(
                f"{PREFIX}WORKER_STALLED_AFTER ({stalled_after:g} s) must be longer than "
                f"{PREFIX}WORKER_HEARTBEAT ({heartbeat:g} s), or live workers count as dead"
            )
        return cls(
            feeds=_feeds(environ, f"{PREFIX}SYNC_FEEDS"),
            every={
                feed: _seconds(environ, f"{PREFIX}SYNC_EVERY_{feed.upper()}", every, 1)
                for feed in FEEDS
            },
            caught_up_rest=_seconds(environ, f"{PREFIX}CAUGHT_UP_REST", 300, 0),
            tick=_seconds(environ, f"{PREFIX}SCHEDULE_TICK", 60, 1),
            heartbeat=heartbeat,
            stalled_after=stalled_after,
            retry_backoff=_seconds(environ, f"{PREFIX}RETRY_BACKOFF", 30, 0),
            retry_attempts=_count(environ, f"{PREFIX}RETRY_ATTEMPTS", 5),
            jobs_kept_hours=int(_seconds(environ, f"{PREFIX}JOBS_KEPT", 7 * 86400, 3600) // 3600),
        )
