"""Fresh databases for a test session, on the embedded server or on the
server of ``DATABASE_URL``, and a way to point Piccolo at one of them."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

import asyncpg

from platform_db.database import scratch
from platform_db.database.engine import SERVER_SETTINGS, embedded_url
from platform_db.database.scratch import piccolo_on, piccolo_using  # noqa: F401  (tests point Piccolo)


def server_url() -> str:
    """The server the tests run on: ``DATABASE_URL``'s, else the embedded one."""
    return os.environ.get("DATABASE_URL") or embedded_url("postgres")


def run_sync(coro):
    """Run ``coro`` to completion from sync code, even inside a running loop."""
    result: list = []

    def target() -> None:
        try:
            result.append(("ok", asyncio.run(coro)))
        except BaseException as exc:
            result.append(("error", exc))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    kind, value = result[0]
    if kind == "error":
        raise value
    return value


def create_database(server: str, prefix: str) -> str:
    return run_sync(scratch.create_database(server, prefix))


def drop_database(url: str) -> None:
    run_sync(scratch.drop_database(url))


def migrate_all(url: str) -> None:
    """``piccolo migrations forwards all`` on ``url``, as a user runs it."""
    from tests.support.commands import run_piccolo

    done = run_piccolo("migrations", "forwards", "all", url=url)
    assert done.returncode == 0, done.stdout + done.stderr


def copy_database(template: str, prefix: str) -> str:
    """A new database made from ``template`` (nobody may be connected to it):
    a file copy, much faster than migrating again."""
    from platform_db.database.urls import database_name, with_database

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    run_sync(scratch._admin(template, f'CREATE DATABASE "{name}" TEMPLATE "{database_name(template)}"'))
    return with_database(template, name)


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn=url, server_settings=SERVER_SETTINGS)


async def database_now(conn: asyncpg.Connection):
    """The database's clock, now: what its ``now()`` compares a time with.
    A test takes its times from it when it runs, never at import (a suite
    on a busy machine may run a test long after)."""
    return await conn.fetchval("SELECT clock_timestamp()")
