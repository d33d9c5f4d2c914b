"""Which of the admin's reads a read replica may answer (``platform_db.database.replicas``).

The inspection reads may be a little stale: Piccolo Admin's lists, rows,
counts and ids (``admin.crud.AdminCRUD``), the admin's own pages and the
schema-health page (``admin.reads.read``). Everything else runs on the
primary: the session lookups of the login middleware, every write and the
reads a write makes, and every read of a browser for a while after it wrote,
so that the page an action redirects to, or Piccolo Admin's list after a
save, shows what the operator just did.

"A while" is the replicas' lag bound (``DATABASE_REPLICA_MAX_LAG``): a
replica further behind than that is not used at all, so once that long has
passed since the write, any replica that answers has it. The time of the
browser's last write travels in a cookie (no secret; a forged one can only
send reads to the primary). Without replicas nothing changes: no cookie,
every read on the primary.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from piccolo.engine import engine_finder
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from platform_db.database import replicas

WROTE_AT_COOKIE = "admin_wrote_at"
READ_METHODS = frozenset({"GET", "HEAD"})

T = TypeVar("T")

# Whether this request's inspection reads may go to a replica (set per request).
_stale_ok: ContextVar[bool] = ContextVar("admin_stale_ok", default=False)


def _lag_bound() -> float | None:
    """The replicas' lag bound, or None when the engine has no replica."""
    router = getattr(engine_finder(), "replicas", None)
    if router is None or not router.nodes:
        return None
    return router.settings.max_lag


def _wrote_within(scope: Scope, seconds: float) -> bool:
    headers = dict(scope.get("headers") or [])
    cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
    if WROTE_AT_COOKIE not in cookies:
        return False
    try:
        wrote_at = float(cookies[WROTE_AT_COOKIE])
    except ValueError:
        return True  # unreadable: read the primary, which is never wrong
    return time.time() - wrote_at < seconds


class ReadsAfterWrites:
    """ASGI middleware: a GET may read a replica unless the browser wrote
    within the lag bound; the response to a write (any other method) records
    its time."""

    def __init__(self, app: ASGIApp, secure: bool = False):
        self.app = app
        self.secure = secure

    def _cookie(self, bound: float) -> bytes:
        attributes = [
            f"{WROTE_AT_COOKIE}={time.time():.3f}",
            f"Max-Age={math.ceil(bound) + 1}",
            "Path=/",
            "HttpOnly",
            "SameSite=Strict",
            *(["Secure"] if self.secure else []),
        ]
        return "; ".join(attributes).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bound = _lag_bound()
        if scope["method"] in READ_METHODS:
            token = _stale_ok.set(bound is not None and not _wrote_within(scope, bound))
            try:
                await self.app(scope, receive, send)
            finally:
                _stale_ok.reset(token)
            return
        if bound is None:
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            # At the start of the response: after the write has committed.
            if message["type"] == "http.response.start":
                cookie = (b"set-cookie", self._cookie(bound))
                message["headers"] = [*message.get("headers", []), cookie]
            await send(message)

        await self.app(scope, receive, send_marked)


@contextmanager
def inspection_reads() -> Iterator[None]:
    """The Piccolo reads in this block may come from a replica, unless this
    request must see the primary (not a GET, or right after a write)."""
    if _stale_ok.get():
        with replicas.stale_reads():
            yield
    else:
        yield


async def read(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await fn(connection, *args)``, on a replica's connection when this
    request may read one (``fn`` must only read; it may run twice)."""
    return await replicas.read(fn, *args, stale_ok=_stale_ok.get())
