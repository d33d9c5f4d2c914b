"""When a request is sent again, and how long after, with tenacity (the
field's retry library: its stop, wait and retry rules compose, and it
awaits asyncio's sleep, so a cancelled sync stops waiting at once):

- 429: after what ServiceTitan says, its ``Retry-After`` header or, when an
  answer has only its title, the "Try again in N seconds" in it (1 s when
  neither says); up to ``RATE_LIMITED_WAIT`` seconds of such waiting per
  request;
- 5xx, a timeout, a connection refused, reset or dropped mid-answer: after
  an exponential backoff with jitter (0.5 s, 1 s, 2 s ... at most 30 s, plus
  up to 1 s at random, so that many clients do not retry in step), up to
  ``TRANSIENT_RETRIES`` times;
- anything else (another 4xx, a malformed answer, rejected credentials) is
  not retried: the caller gets it at once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from types import SimpleNamespace

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from servicetitan.api.errors import ServiceTitanError

TRANSIENT_RETRIES = 5
RATE_LIMITED_WAIT = 600.0
BACKOFF = wait_exponential_jitter(multiplier=0.5, max=30, jitter=1)
DEFAULT_RATE_LIMITED_WAIT = 1.0

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """An answer (or its absence) that asking again may change. ``final`` is
    what the caller gets when the retries are spent."""

    def __init__(self, why: str, final: ServiceTitanError, after: float | None = None):
        super().__init__(why)
        self.final = final
        self.after = after  # seconds ServiceTitan asked to wait (429 only)

    @property
    def rate_limited(self) -> bool:
        return self.after is not None


def retry_after(header: str | None, detail: str) -> float:
    """Seconds a 429 asks to wait: its ``Retry-After`` (seconds or an HTTP
    date), else the title's "Try again in N seconds", else 1."""
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                when = parsedate_to_datetime(header)
                return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
            except (TypeError, ValueError):
                pass
    found = _TRY_AGAIN.search(detail)
    return float(found.group(1)) if found else DEFAULT_RATE_LIMITED_WAIT


@dataclass
class _Budget:
    """What one request has spent on retries so far."""

    what: str
    transient: int = 0
    rate_limited_wait: float = 0.0

    def stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception()
        if exc.rate_limited:
            return self.rate_limited_wait + exc.after > RATE_LIMITED_WAIT
        self.transient += 1
        return self.transient > TRANSIENT_RETRIES

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception()
        if exc.rate_limited:
            self.rate_limited_wait += exc.after
            return exc.after
        return BACKOFF(SimpleNamespace(attempt_number=self.transient))

    def log(self, state: RetryCallState) -> None:
        exc = state.outcome.exception()
        logger.warning(
            "%s: %s; asking again in %.1f s (retry %d)",
            self.what,
            exc,
            state.next_action.sleep,
            state.attempt_number,
        )


def retrying(what: str) -> AsyncRetrying:
    """The retry loop of one request, described as ``what`` in the log
    (a method and a path: no query, no header)."""
    budget = _Budget(what)
    return AsyncRetrying(
        retry=retry_if_exception_type(RetryLater),
        stop=budget.stop,
        wait=budget.wait,
        before_sleep=budget.log,
        reraise=True,
    )
