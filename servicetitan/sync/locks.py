"""One live sync of a ServiceTitan tenant at a time, across processes and
machines: ServiceTitan's 60 requests a second are per tenant, and each
process holds the limit only among its own coroutines
(``servicetitan.api.limits``).

The lock is a transaction-level advisory lock on the tenant, taken with
``pg_try_advisory_xact_lock`` in a transaction of its own that stays open
for the sync (idle between statements: in READ COMMITTED it holds no
snapshot, so it keeps no row version from vacuum). One transaction, so it
works behind PgBouncer in transaction mode; the lock goes with the
connection when its process dies, ``kill -9`` included. A second sync of
the tenant does not wait: it is refused at once, saying why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from platform_db.database.engine import engine_connection
from servicetitan.tables import ServiceTitanCredential


class SyncNotStarted(Exception):
    """A sync that did not start, and why (no sync log is written)."""


class AlreadyRunning(SyncNotStarted):
    """Another sync of the tenant holds its lock."""


@asynccontextmanager
async def tenant_sync_lock(tenant_id: int, what: str) -> AsyncIterator[None]:
    """Held while the block runs; ``AlreadyRunning`` if another holds it.
    ``what`` (e.g. "jobs") names the sync refused in the message."""
    async with engine_connection(ServiceTitanCredential._meta.db) as connection:
        async with connection.transaction():
            taken = await connection.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
                f"servicetitan sync of tenant {tenant_id}",
            )
            if not taken:
                raise AlreadyRunning(
                    f"tenant {tenant_id} is being synced by another run: this sync of {what} "
                    "did not start (one sync of a tenant at a time, as ServiceTitan's 60 "
                    "requests a second are per tenant); run it again when that one has ended"
                )
            yield
