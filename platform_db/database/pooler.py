"""Running behind a transaction pooler (PgBouncer with ``pool_mode =
transaction``).

A transaction pooler lends a server connection to a client for one
transaction at a time, so whatever lives in a session is shared with, or
lost to, other clients: named prepared statements, ``SET``, advisory locks
taken outside a transaction, session temporary tables. The project's
application paths keep to one transaction for what they need (the upsert's
staging table is created, filled and merged in one; a server session keeps
it, so its name says its shape, and a session that kept another release's
never hands that one over), and its startup
settings (``timezone``, ``application_name``) are ones PgBouncer keeps per
client. What is left:

- asyncpg's statement cache (named prepared statements) and its pool's
  ``RESET ALL`` on release: when ``DATABASE_DIRECT_URL`` is set,
  ``DATABASE_URL`` is taken to go through a pooler, and every connection to
  it runs with ``statement_cache_size=0`` and without that reset; a replica
  (which may have a pooler of its own, or none) is asked which it is before
  its first read (``behind_pooler``);
- ``piccolo platform migrate`` (a session advisory lock, ``lock_timeout``):
  it connects to ``DATABASE_DIRECT_URL`` when set, and refuses a connection
  that turns out to go through a pooler.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import asyncpg

from platform_db.values.arguments import CommandError
from platform_db.database.urls import database_name, redacted

DIRECT_URL_ENV = "DATABASE_DIRECT_URL"


class NeedsDirectConnection(CommandError):
    """A command that needs a session of its own reached a pooler."""


def direct_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """``DATABASE_DIRECT_URL``: the server itself, when ``DATABASE_URL`` is a pooler."""
    url = environ.get(DIRECT_URL_ENV, "").strip()
    return url or None


def pooled(environ: Mapping[str, str] = os.environ) -> bool:
    url = direct_url(environ)
    return url is not None and url != environ.get("DATABASE_URL", "").strip()


class PooledConnection(asyncpg.Connection):
    """An asyncpg connection through a transaction pooler.

    asyncpg's pool resets a connection it takes back with ``RESET ALL`` (and
    ``pg_advisory_unlock_all()``): through a pooler that runs on whichever
    server connection is at hand, resets the settings other clients connected
    with, releases their advisory locks, and PgBouncer then records the
    server's defaults as this client's settings, so ``timezone=UTC`` is lost
    for good. In transaction mode there is no session state of ours to reset.
    """

    def get_reset_query(self) -> str:
        return ""


# asyncpg settings for connections through a transaction pooler: no named
# prepared statements (another client's transaction may get the server
# connection they were prepared on), no reset on release.
POOLED_SETTINGS = {"statement_cache_size": 0, "connection_class": PooledConnection}


def pooled_settings(environ: Mapping[str, str] = os.environ) -> dict:
    """``POOLED_SETTINGS`` when ``DATABASE_URL`` goes through a pooler (as
    ``DATABASE_DIRECT_URL`` says), else none. A replica's are its own: it is
    asked (``replicas.ReplicaNode.settle``)."""
    return dict(POOLED_SETTINGS) if pooled(environ) else {}


async def behind_pooler(conn: asyncpg.Connection) -> bool:
    """Whether ``conn`` reaches its backend through a pooler: a pooler gives
    its clients a backend key of its own, so the process id the connection
    was told at startup is not the one serving its queries."""
    return conn.get_server_pid() != await conn.fetchval("SELECT pg_backend_pid()")


def _refusal(what: str, variable: str, url: str) -> NeedsDirectConnection:
    return NeedsDirectConnection(
        f"{what} needs a PostgreSQL session of its own (an advisory lock, lock_timeout), "
        f"but {variable} ({redacted(url)}) goes through a transaction pooler, which shares "
        f"sessions between clients: set {DIRECT_URL_ENV} to the server's own address "
        "(the host and port PostgreSQL listens on, not the pooler's)"
    )


async def session_connection(engine, what: str = "piccolo platform migrate") -> asyncpg.Connection:
    """A connection to the server itself for ``engine``, which from here on
    connects to ``DATABASE_DIRECT_URL`` when that is set; refused
    (``NeedsDirectConnection``) when it goes through a pooler."""
    url = direct_url()
    variable = DIRECT_URL_ENV if url else "DATABASE_URL"
    if url:
        engine.config.update(dsn=url, database=database_name(url))
    url = engine.config["dsn"]
    try:
        conn = await engine.get_new_connection()
    except asyncpg.ProtocolViolationError as exc:
        # PgBouncer refuses startup parameters it does not track (lock_timeout).
        if "unsupported startup parameter" in str(exc):
            raise _refusal(what, variable, url) from None
        raise
    if await behind_pooler(conn):
        await conn.close()
        raise _refusal(what, variable, url)
    return conn
