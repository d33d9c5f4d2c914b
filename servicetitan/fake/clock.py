"""Time for the fake's rate limit, token expiry and request counters.

The fake reads time through a callable (``time.monotonic`` by default), so
a test can hand it a ``ManualClock`` and decide when a second has passed:
verdicts about "60 requests in one second" or "the token expired" then
do not depend on how fast the machine runs the test.
"""

from __future__ import annotations

import threading


class ManualClock:
    """A clock that moves only when ``advance`` moves it."""

    def __init__(self, start: float = 1_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now
