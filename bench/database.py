"""A database of its own for a benchmark: created on the server the tests
use (``DATABASE_URL``'s, else the embedded one), migrated by the benchmark,
dropped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from platform_db.database.urls import database_name, redacted
from tests.support.databases import create_database, drop_database, server_url


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database ``<prefix>_<random>``; ``DATABASE_URL`` points at it inside."""
    server = server_url()
    url = create_database(server, prefix)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PLATFORM_DB_QUIET", "1")
    print(f"database {database_name(url)} on the server of {redacted(server)}")
    try:
        yield url
    finally:
        drop_database(url)
