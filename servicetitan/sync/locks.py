"""One live sync of a ServiceTitan tenant at a time, across processes and
machines: ServiceTitan's 60 requests a second are per tenant, and each
process holds the limit only among its own coroutines
(``servicetitan.api.limits``).

The lock is a session advisory lock on the tenant, taken without waiting
(``pg_try_advisory_lock``) on a connection of its own that stays idle, outside
any transaction, while the sync runs: an idle session holds no snapshot, so
a long sync keeps no row version from vacuum (a transaction held open for
the sync would: its catalog snapshot keeps the database's xmin). The lock
goes with the connection when its process dies, ``kill -9`` included. A
session lock needs a session of its own: behind PgBouncer in transaction
mode the connection goes to ``DATABASE_DIRECT_URL``, as ``piccolo platform
migrate``'s does, and the sync is refused without it (the engine's other
connections stay as they are). Before each page is committed the sync checks
the lock is still held (``TenantLock.check``): a lost connection stops the
sync instead of letting a second one run beside it.

A second sync of the tenant does not wait: it is refused at once, saying
why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from platform_db.database.pooler import (
    DIRECT_URL_ENV,
    NeedsDirectConnection,
    behind_pooler,
    direct_url,
)
from servicetitan.tables import ServiceTitanCredential


class SyncNotStarted(Exception):
    """A sync that did not start, and why (no sync log is written)."""


class AlreadyRunning(SyncNotStarted):
    """Another sync of the tenant holds its lock."""


class LockLost(RuntimeError):
    """The connection holding a sync's lock is gone: another sync may start."""


class TenantLock:
    def __init__(self, connection: asyncpg.Connection, tenant_id: int):
        self.connection = connection
        self.tenant_id = tenant_id

    async def check(self) -> None:
        """Raises ``LockLost`` if the lock's connection is gone."""
        try:
            await self.connection.execute("SELECT 1")
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
            raise LockLost(
                f"the connection holding the sync lock of tenant {self.tenant_id} was lost "
                f"({type(exc).__name__}): the sync stops here"
            ) from None


async def own_session() -> asyncpg.Connection:
    """A connection that is a session of its own: to ``DATABASE_DIRECT_URL``
    if set, else the engine's; refused if it goes through a pooler."""
    url = direct_url()
    if url:
        connection = await asyncpg.connect(url)
    else:
        connection = await ServiceTitanCredential._meta.db.get_new_connection()
    if await behind_pooler(connection):
        await connection.close()
        raise NeedsDirectConnection(
            "a ServiceTitan sync holds its tenant's lock in a PostgreSQL session of its own, "
            "but DATABASE_URL goes through a transaction pooler, which shares sessions between "
            f"clients: set {DIRECT_URL_ENV} to the server's own address (as for "
            "piccolo platform migrate)"
        )
    return connection


@asynccontextmanager
async def tenant_sync_lock(tenant_id: int, what: str) -> AsyncIterator[TenantLock]:
    """Held while the block runs; ``AlreadyRunning`` if another holds it.
    ``what`` (e.g. "jobs") names the sync refused in the message."""
    connection = await own_session()
    try:
        taken = await connection.fetchval(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
            f"servicetitan sync of tenant {tenant_id}",
        )
        if not taken:
            raise AlreadyRunning(
                f"tenant {tenant_id} is being synced by another run: this sync of {what} "
                "did not start (one sync of a tenant at a time, as ServiceTitan's 60 "
                "requests a second are per tenant); run it again when that one has ended"
            )
        yield TenantLock(connection, tenant_id)
    finally:
        # closing the session releases its lock
        await connection.close()
