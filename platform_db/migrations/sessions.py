"""Sessions of their own for the migration machinery: what must stay on one
server session (a session advisory lock, ``SET`` settings, statements that
commit one by one) goes on a connection to the server itself, never through
a transaction pooler, whose server sessions outlive the client and would
hand a lock or a ``lock_timeout`` on to the application's next transaction.

- ``session_connection``: the one place that makes such a connection. For
  the configured database it goes through ``platform_db.database.pooler``
  (``DATABASE_DIRECT_URL`` when set; refused when it reaches a pooler); for
  any other database (the scratch databases of the SQL capture) it connects
  where the engine points, so a ``DATABASE_DIRECT_URL`` never sends a
  scratch run to the real server.
- ``SessionLock``: a session advisory lock on such a connection, kept alive
  (pinged, ``idle_session_timeout`` off for its session) for however long
  the work it guards takes, and able to say whether it still holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field

import asyncpg
from piccolo.engine import engine_finder

from platform_db.database import pooler

# Statements of the project's own bookkeeping (locks, the migration record,
# catalog look-ups of the online steps) start with this comment, so that the
# SQL capture can leave them out of a migration's script.
BOOKKEEPING = "/* platform-data bookkeeping */ "

KEEPALIVE_SECONDS = 5.0
POLL_SECONDS = 0.2

# The errors of a connection that ended under the lock (terminated, timed
# out, cut by the network).
CONNECTION_LOST = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError)


def _of_the_configured_database(engine) -> bool:
    urls = {os.environ.get("DATABASE_URL", "").strip(), pooler.direct_url() or ""} - {""}
    return engine.config.get("dsn") in urls


async def session_connection(what: str = "a migration") -> asyncpg.Connection:
    """A new connection that is a PostgreSQL session of its own (see the
    module's docstring); it goes through the engine, whose connections the
    SQL capture records."""
    engine = engine_finder()
    if _of_the_configured_database(engine):
        return await pooler.session_connection(engine, what)
    return await engine.get_new_connection()


@dataclass
class SessionLock:
    """``pg_advisory_lock(key)`` held by a session named ``name`` in
    ``pg_stat_activity``."""

    key: int
    name: str
    what: str = "a migration"
    connection: asyncpg.Connection | None = None
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    _keepalive: asyncio.Task | None = None

    async def acquire(self, wait_seconds: float, waiting: str) -> bool:
        """Take the lock, waiting up to ``wait_seconds`` (``waiting`` is
        printed once when it must wait); False when it was not had in time."""
        self.connection = await session_connection(self.what)
        await self.connection.execute(BOOKKEEPING + f"SET application_name = '{self.name}'")
        with contextlib.suppress(asyncpg.UndefinedObjectError):  # before PostgreSQL 14
            await self.connection.execute(BOOKKEEPING + "SET idle_session_timeout = 0")
        if not await self._try():
            print(waiting, file=sys.stderr)
            deadline = time.monotonic() + wait_seconds
            while not await self._try():
                if time.monotonic() >= deadline:
                    await self.release()
                    return False
                await asyncio.sleep(POLL_SECONDS)
        self._keepalive = asyncio.create_task(self._ping())
        return True

    async def _try(self) -> bool:
        return await self.connection.fetchval(
            BOOKKEEPING + "SELECT pg_try_advisory_lock($1)", self.key
        )

    async def _ping(self) -> None:
        # Traffic on the lock's session, so nothing between here and the
        # server takes it for idle.
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            async with self._busy:
                with contextlib.suppress(Exception):  # a dead session shows in held()
                    await self.connection.fetchval(BOOKKEEPING + "SELECT 1")

    async def held(self) -> bool:
        async with self._busy:
            try:
                return await self.connection.fetchval(
                    BOOKKEEPING
                    + "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted"
                    " AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)",
                    self.key,
                )
            except (asyncpg.PostgresError, *CONNECTION_LOST):
                return False

    @contextlib.asynccontextmanager
    async def session(self):
        """The lock's connection, for statements of its own (the keepalive
        waits meanwhile)."""
        async with self._busy:
            yield self.connection

    async def release(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._keepalive
            self._keepalive = None
        if self.connection is not None:
            # A dead session released its lock already; closing cannot fail.
            with contextlib.suppress(Exception):
                await self.connection.execute(BOOKKEEPING + "SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                await self.connection.close()
            self.connection = None
