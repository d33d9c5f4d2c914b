"""How the admin's pages show values: a time with its zone and to the
microsecond, a secret as "set" / "not set" (never its value), a missing
value as "none" (a value that exists is never "NULL"), JSON indented."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

NONE = "none"


def when(value) -> str:
    """``TIMESTAMP`` columns hold UTC (naive); ``timestamptz`` ones are aware."""
    if value is None:
        return NONE
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def duration(value: timedelta | None) -> str:
    """To the microsecond (``processing_time_seconds``, whole seconds,
    showed a 40 ms sync as 0:00:00)."""
    if value is None:
        return NONE
    return str(value)


def secret(is_set: bool) -> str:
    return "set" if is_set else "not set"


def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def shown(value) -> str:
    """Any other value, as the pages print it."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return pretty_json(value)
    return str(value)


FILTERS = {
    "when": when,
    "duration": duration,
    "secret": secret,
    "pretty_json": pretty_json,
    "shown": shown,
}
