"""ServiceTitan's rate limit, held on our side: at most 60 requests a
second per application and tenant, across every coroutine of a process
that calls the API for that tenant. (Across processes it holds because one
tenant is synced by one run at a time: ``servicetitan.sync.locks``.)

The requests are spaced evenly rather than let through in bursts of 60:
ServiceTitan counts them as they arrive, and time on the wire varies, so
each is given 1/60 s and 5% more; no one-second window then holds more
than 58. A 429 pauses every request of the tenant for what ServiceTitan
asked (``pause``), not only the one that got it.

aiolimiter's ``AsyncLimiter`` does the spacing: a leaky bucket of asyncio
futures, no thread, no polling. A limiter belongs to one event loop, so
each loop has its own per tenant.
"""

from __future__ import annotations

import asyncio
import weakref

from aiolimiter import AsyncLimiter

REQUESTS_PER_SECOND = 60
SPACING = 1.05 / REQUESTS_PER_SECOND


class TenantLimit:
    def __init__(self):
        # capacity 1: one request per SPACING, never a burst
        self._limiter = AsyncLimiter(1, SPACING)
        self._paused_until = 0.0

    async def acquire(self) -> None:
        """Wait until one more request of the tenant may be sent."""
        loop = asyncio.get_running_loop()
        while (wait := self._paused_until - loop.time()) > 0:
            await asyncio.sleep(wait)
        await self._limiter.acquire()

    def pause(self, seconds: float) -> None:
        """ServiceTitan asked the tenant's requests to wait ``seconds``."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)


_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, TenantLimit]] = (
    weakref.WeakKeyDictionary()
)


def tenant_limit(tenant_id: int) -> TenantLimit:
    """The running loop's limit for ``tenant_id``, shared by every client of it."""
    per_tenant = _limits.setdefault(asyncio.get_running_loop(), {})
    return per_tenant.setdefault(tenant_id, TenantLimit())
