"""Brute-force limits of the admin's login and change-password, built on
piccolo_api's own extension points (a ``RateLimitProvider`` for its
``RateLimitingMiddleware``, ``LoginHooks`` and its login endpoint class),
shaped so that a stranger cannot turn them against a user:

- Per client address: at most ``ADDRESS_LIMIT`` login requests in
  ``WINDOW_SECONDS``. The address is the TCP peer unless the peer is one of
  the trusted proxies given to ``piccolo admin serve`` (``X-Forwarded-For``
  from anyone else is ignored), so rotating that header buys nothing.
- Per user *and* address: ``PAIR_FAILURES`` failed logins (a wrong password
  or MFA code) of one user from one address block that user from that
  address only, until the window has passed. The user still logs in from
  anywhere else.
- Per user, from anywhere: past ``USER_SLOWDOWN_AFTER`` failures in the
  window every login of that user is answered after a pause, doubling with
  each further failure from ``FIRST_PAUSE`` up to ``MAX_PAUSE`` seconds. It
  slows a guesser spread over many addresses and never refuses the right
  password. Only existing users are counted: junk usernames make no key.
- change-password: at most ``CHANGE_PASSWORD_LIMIT`` attempts per user and
  per address in the window.

Every refusal is a 429 with ``Retry-After``. Every limit is a sliding
window: a block ends by itself once the hits that caused it are older than
the window. Counts live in memory, per process (``piccolo admin serve`` runs
one); a key that blocks is never dropped to make room for others, so no
flood of other keys lifts a block.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from piccolo.apps.user.tables import BaseUser
from piccolo_api.change_password.endpoints import change_password
from piccolo_api.rate_limiting.middleware import (
    RateLimitError,
    RateLimitingMiddleware,
    RateLimitProvider,
)
from piccolo_api.session_auth.endpoints import session_login
from piccolo_api.shared.auth.hooks import LoginHooks
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from admin.passwords import WeakPassword, check_password

WINDOW_SECONDS = 300
ADDRESS_LIMIT = 20
PAIR_FAILURES = 5
USER_SLOWDOWN_AFTER = 10
FIRST_PAUSE = 0.5
MAX_PAUSE = 8.0
CHANGE_PASSWORD_LIMIT = 5
# Past this many keys, keys that block nothing are dropped, oldest first.
MAX_KEYS = 10_000


class SlidingWindow(RateLimitProvider):
    """At most ``limit`` hits per key within the last ``window`` seconds.

    Memory stays bounded without lifting a block: past ``max_keys`` keys, the
    keys whose hits have all expired go first, then the oldest keys that are
    not at their limit. A key at its limit is kept until its window passes,
    however many other keys arrive (each such key took ``limit`` hits)."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _prune(self, hits: deque[float], now: float) -> deque[float]:
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def recent(self, key: str) -> int:
        """How many hits ``key`` has within the window."""
        hits = self._hits.get(key)
        return 0 if hits is None else len(self._prune(hits, self.clock()))

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may hit again; None if it may now."""
        hits = self._hits.get(key)
        if hits is None or len(self._prune(hits, self.clock())) < self.limit:
            return None
        return max(1, math.ceil(hits[-self.limit] + self.window - self.clock()))

    def hit(self, key: str) -> None:
        hits = self._hits.setdefault(key, deque())
        self._hits.move_to_end(key)
        hits.append(self.clock())
        if len(self._hits) > self.max_keys:
            self._make_room()

    def _make_room(self) -> None:
        now = self.clock()
        for key in [k for k, hits in self._hits.items() if not self._prune(hits, now)]:
            del self._hits[key]
        for key in list(self._hits):  # oldest first
            if len(self._hits) <= self.max_keys:
                return
            if len(self._hits[key]) < self.limit:
                del self._hits[key]

    def increment(self, identifier: str) -> None:
        """RateLimitingMiddleware's entry point: refuse, or count the hit."""
        if self.retry_after(identifier) is not None:
            raise RateLimitError()
        self.hit(identifier)


def too_many(what: str, seconds: int) -> Response:
    return PlainTextResponse(
        f"Too many {what}: try again in {seconds} s",
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


class LimitedRateLimiting(RateLimitingMiddleware):
    """piccolo_api's middleware, whose 429 also says when to come back."""

    async def dispatch(self, request: Request, call_next) -> Response:
        retry_after = getattr(self.rate_limit, "retry_after", None)
        if request.client and retry_after:
            seconds = retry_after(request.client.host)
            if seconds is not None:
                return too_many("login requests from this address", seconds)
        return await super().dispatch(request, call_next)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# The login attempt being handled: whether it failed (a wrong password, or a
# wrong MFA code: see admin.mfa), set by the hooks piccolo_api runs.
_failed: ContextVar[list[bool] | None] = ContextVar("admin_login_failed", default=None)


def note_failed_login() -> None:
    failed = _failed.get()
    if failed is not None:
        failed.append(True)


async def _body(request: Request) -> dict:
    body = request.scope.get("form")
    if not body:
        try:
            body = await request.json()
        except ValueError:
            body = await request.form()
    return body if hasattr(body, "get") else {}


@dataclass
class AdminThrottle:
    """The admin's limits; one per app, so tests can give their own."""

    window: float = WINDOW_SECONDS
    address_limit: int = ADDRESS_LIMIT
    pair_failures: int = PAIR_FAILURES
    user_slowdown_after: int = USER_SLOWDOWN_AFTER
    first_pause: float = FIRST_PAUSE
    max_pause: float = MAX_PAUSE
    change_password_limit: int = CHANGE_PASSWORD_LIMIT
    max_keys: int = MAX_KEYS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    addresses: SlidingWindow = field(init=False)
    failed_pairs: SlidingWindow = field(init=False)
    failed_users: SlidingWindow = field(init=False)
    password_changes: SlidingWindow = field(init=False)

    def __post_init__(self):
        def window(limit: int) -> SlidingWindow:
            return SlidingWindow(limit, self.window, self.clock, self.max_keys)

        self.addresses = window(self.address_limit)
        self.failed_pairs = window(self.pair_failures)
        # Never "at its limit": per user there is a pause, not a block. Only
        # existing users have a key, so its size is the number of users.
        self.failed_users = SlidingWindow(math.inf, self.window, self.clock, math.inf)
        self.password_changes = window(self.change_password_limit)

    def pause_for(self, username: str) -> float:
        """Seconds a login of ``username`` waits before its password is checked."""
        excess = self.failed_users.recent(username) - self.user_slowdown_after
        if excess < 0:
            return 0.0
        return min(self.max_pause, self.first_pause * 2 ** min(excess, 32))

    async def _count_failure(self, username: str, address: str) -> None:
        self.failed_pairs.hit(f"{address} {username}")
        if await BaseUser.exists().where(BaseUser.username == username):
            self.failed_users.hit(username)

    def session_login(self, **kwargs):
        """piccolo_api's ``session_login``, limited per (user, address) and
        slowed per user; ``hooks`` given too run after the limits' own."""
        given: LoginHooks = kwargs.pop("hooks", None) or LoginHooks()
        hooks = LoginHooks(
            pre_login=given.pre_login,
            login_success=given.login_success,
            login_failure=[lambda username, **_: note_failed_login(), *(given.login_failure or [])],
        )
        endpoint = session_login(**kwargs, hooks=hooks)
        throttle = self

        class LimitedLogin(endpoint):
            async def post(self, request: Request) -> Response:
                body = await _body(request)
                username, address = str(body.get("username") or ""), client_address(request)
                seconds = throttle.failed_pairs.retry_after(f"{address} {username}")
                if seconds is not None:
                    refused = too_many("failed logins for this user from this address", seconds)
                    if body.get("format") == "html":
                        page = self._render_template(
                            request, {"error": refused.body.decode()}, status_code=429
                        )
                        page.headers["Retry-After"] = str(seconds)
                        return page
                    return refused
                pause = throttle.pause_for(username)
                if pause:
                    await throttle.sleep(pause)
                failed: list[bool] = []
                token = _failed.set(failed)
                try:
                    return await super().post(request)
                finally:
                    _failed.reset(token)
                    if failed and username:
                        await throttle._count_failure(username, address)

        return LimitedLogin

    def change_password(self, **kwargs):
        """piccolo_api's ``change_password`` endpoint, limited per user and address."""
        endpoint = change_password(**kwargs)
        limit = self.password_changes

        class LimitedChangePassword(endpoint):
            async def post(self, request: Request) -> Response:
                keys = [f"user {request.user.user_id}", f"address {client_address(request)}"]
                waits = [s for s in map(limit.retry_after, keys) if s is not None]
                if waits:
                    return too_many("password change attempts", max(waits))
                for key in keys:
                    limit.hit(key)
                body = await _body(request)
                try:
                    check_password(str(body.get("new_password") or ""), request.user.display_name)
                except WeakPassword as exc:
                    return PlainTextResponse(str(exc), status_code=422)
                return await super().post(request)

        return LimitedChangePassword
