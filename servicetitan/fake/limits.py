"""ServiceTitan's rate limit: 60 requests a second per application per
tenant. A request that would make more than ``limit`` answered within any
one-second window gets 429 with ``Retry-After`` (whole seconds until the
window has room); refused requests do not count against the window.
"""

from __future__ import annotations

import math
import threading
from collections import deque

WINDOW = 1.0


class RateLimit:
    def __init__(self, limit: int | None):
        self.limit = limit
        self._windows: dict[tuple, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: tuple, now: float) -> int | None:
        """None if a request of ``key`` (app key, tenant) at ``now`` may be
        answered (it is counted); else the seconds to wait."""
        if self.limit is None:
            return None
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and now - window[0] >= WINDOW:
                window.popleft()
            if len(window) >= self.limit:
                return max(1, math.ceil(window[0] + WINDOW - now))
            window.append(now)
            return None
