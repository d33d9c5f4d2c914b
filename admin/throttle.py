"""Brute-force limits of the admin's login and change-password, built on
piccolo_api's own extension points (a ``RateLimitProvider`` for its
``RateLimitingMiddleware``, ``LoginHooks`` for its login endpoint).

- Per client address: at most ``ADDRESS_LIMIT`` login requests in
  ``WINDOW_SECONDS``. The address is the TCP peer unless the peer is one of
  the trusted proxies given to ``piccolo admin serve`` (``X-Forwarded-For``
  from anyone else is ignored), so rotating that header buys nothing.
- Per user: at most ``USER_FAILURES`` failed logins in the window, from any
  address; then that user's logins are refused (429) until the window has
  passed, the right password included.
- change-password: at most ``CHANGE_PASSWORD_LIMIT`` attempts per user and
  per address in the window.

Every limit is a sliding window: a block ends by itself once the hits that
caused it are older than the window. Counts live in memory, per process
(``piccolo admin serve`` runs one).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from piccolo_api.change_password.endpoints import change_password
from piccolo_api.rate_limiting.middleware import RateLimitError, RateLimitProvider
from piccolo_api.session_auth.endpoints import session_login
from piccolo_api.shared.auth.hooks import LoginHooks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

WINDOW_SECONDS = 300
ADDRESS_LIMIT = 20
USER_FAILURES = 10
CHANGE_PASSWORD_LIMIT = 5
# Usernames come from whoever asks: past this many keys the oldest go.
MAX_KEYS = 10_000


class SlidingWindow(RateLimitProvider):
    """At most ``limit`` hits per key within the last ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        now = self.clock()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may hit again; None if it may now."""
        hits = self._recent(key)
        if len(hits) < self.limit:
            return None
        return max(1, math.ceil(hits[-self.limit] + self.window - self.clock()))

    def hit(self, key: str) -> None:
        hits = self._hits.setdefault(key, deque())
        self._hits.move_to_end(key)
        hits.append(self.clock())
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)

    def increment(self, identifier: str) -> None:
        """RateLimitingMiddleware's entry point: refuse, or count the hit."""
        if self.retry_after(identifier) is not None:
            raise RateLimitError()
        self.hit(identifier)


def _too_many(what: str, seconds: int) -> str:
    return f"Too many {what}: try again in {seconds} s"


@dataclass
class AdminThrottle:
    """The admin's limits; one per app, so tests can give their own."""

    window: float = WINDOW_SECONDS
    address_limit: int = ADDRESS_LIMIT
    user_failures: int = USER_FAILURES
    change_password_limit: int = CHANGE_PASSWORD_LIMIT
    clock: Callable[[], float] = time.monotonic
    addresses: SlidingWindow = field(init=False)
    failed_users: SlidingWindow = field(init=False)
    password_changes: SlidingWindow = field(init=False)

    def __post_init__(self):
        self.addresses = SlidingWindow(self.address_limit, self.window, self.clock)
        self.failed_users = SlidingWindow(self.user_failures, self.window, self.clock)
        self.password_changes = SlidingWindow(self.change_password_limit, self.window, self.clock)

    def _refuse_blocked_user(self, username: str) -> None:
        seconds = self.failed_users.retry_after(str(username))
        if seconds is not None:
            raise HTTPException(429, _too_many("failed logins for this user", seconds))

    def _count_failure(self, username: str) -> None:
        self.failed_users.hit(str(username))

    def session_login(self, **kwargs):
        """piccolo_api's ``session_login`` with the per-user limit as its hooks."""
        hooks = LoginHooks(pre_login=[self._refuse_blocked_user], login_failure=[self._count_failure])
        return session_login(**kwargs, hooks=hooks)

    def change_password(self, **kwargs):
        """piccolo_api's ``change_password`` endpoint, limited per user and address."""
        endpoint = change_password(**kwargs)
        limit = self.password_changes

        class LimitedChangePassword(endpoint):
            async def post(self, request: Request) -> Response:
                address = request.client.host if request.client else "unknown"
                keys = [f"user {request.user.user_id}", f"address {address}"]
                waits = [s for s in map(limit.retry_after, keys) if s is not None]
                if waits:
                    return PlainTextResponse(
                        _too_many("password change attempts", max(waits)), status_code=429
                    )
                for key in keys:
                    limit.hit(key)
                return await super().post(request)

        return LimitedChangePassword
