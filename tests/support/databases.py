"""Fresh databases for a test session, on the embedded server or on the
server of ``DATABASE_URL``, and a way to point Piccolo at one of them."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from contextlib import contextmanager

import asyncpg

from platform_db.database import (
    SERVER_SETTINGS,
    embedded_url,
    engine_config,
    with_database,
)


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


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn=with_database(server, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(server: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    run_sync(_admin(server, f'CREATE DATABASE "{name}"'))
    return with_database(server, name)


def drop_database(url: str) -> None:
    from platform_db.database import database_name

    run_sync(_admin(url, f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)'))


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn=url, server_settings=SERVER_SETTINGS)


@contextmanager
def piccolo_on(url: str):
    """Point Piccolo (migrations and every table class) at another database."""
    from piccolo.engine.postgres import PostgresEngine

    with piccolo_using(PostgresEngine(config=engine_config(url))) as engine:
        yield engine


@contextmanager
def piccolo_using(engine):
    """Point Piccolo (migrations and every table class) at another engine."""
    import piccolo_conf
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    tables = [*Finder().get_table_classes(), Migration]
    original = piccolo_conf.DB
    piccolo_conf.DB = engine
    for table in tables:
        table._meta.refresh_db()
    try:
        yield piccolo_conf.DB
    finally:
        piccolo_conf.DB = original
        for table in tables:
            table._meta.refresh_db()
