"""The fake's timestamps: integer ticks of 100 ns since the Unix epoch, UTC.

ServiceTitan is a .NET service: its timestamps carry seven fractional
digits (``2024-01-01T00:01:00.7654321Z``). Ticks keep that precision
exactly and compare as integers, which is what ``from=<date>`` needs.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from functools import lru_cache

TICKS = 10_000_000  # a second
# The first record of every feed was modified then; the next a minute later.
START = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()) * TICKS
STEP = 60 * TICKS

_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


@lru_cache(maxsize=1024)
def _day(days: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(days * 86_400))


def iso(ticks: int) -> str:
    """``ticks`` as ServiceTitan prints a timestamp (a few µs: it is called
    twice for every record served)."""
    seconds, fraction = divmod(ticks, TICKS)
    days, second = divmod(seconds, 86_400)
    hour, second = divmod(second, 3_600)
    minute, second = divmod(second, 60)
    return "%sT%02d:%02d:%02d.%07dZ" % (_day(days), hour, minute, second, fraction)


def parse(text: str) -> int | None:
    """The ticks of an ISO date or date-time (``2024-01-01``,
    ``2024-01-01T10:00:00.5+02:00``; without a zone it is UTC), or None if
    ``text`` is not one."""
    found = _DATE.fullmatch(text.strip())
    if not found:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            tzinfo=timezone.utc,
        )  # fmt: skip
    except ValueError:
        return None
    ticks = int(moment.timestamp()) * TICKS + int((fraction or "0")[:7].ljust(7, "0"))
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        ticks -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * TICKS
    return ticks
