"""Throwaway databases, where the project runs migrations to see what they
do (the SQL capture of ``lint`` / ``sql``, the schema ``check``), never the
configured database; and pointing Piccolo at one of them for a while.

They are created on ``PLATFORM_SCRATCH_SERVER`` (a server URL whose role may
create databases), else on the embedded server (``.embedded-pg/``), and
dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg

from platform_db.database.urls import database_name, with_database
from platform_db.database.engine import embedded_url

SCRATCH_SERVER_ENV = "PLATFORM_SCRATCH_SERVER"


def scratch_server() -> str:
    return os.environ.get(SCRATCH_SERVER_ENV) or embedded_url("postgres")


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn=with_database(server, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def server_version(server: str) -> int:
    """``server_version_num`` of ``server``: what a migration can do there
    (a syntax, an extension) depends on it."""
    conn = await asyncpg.connect(dsn=with_database(server, "postgres"))
    try:
        return int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()


async def create_database(server: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    return with_database(server, name)


async def drop_database(url: str) -> None:
    await _admin(url, f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


@asynccontextmanager
async def scratch_database(prefix: str, server: str | None = None) -> AsyncIterator[str]:
    url = await create_database(server or scratch_server(), prefix)
    try:
        yield url
    finally:
        await drop_database(url)


@contextmanager
def piccolo_on(url: str, engine_class=None) -> Iterator:
    """Point Piccolo (migrations and every table class) at another database,
    through a new engine (``engine_class``, default ``PostgresEngine``)."""
    from piccolo.engine.postgres import PostgresEngine

    from platform_db.database.engine import engine_config

    with piccolo_using((engine_class or PostgresEngine)(config=engine_config(url))) as engine:
        yield engine


@contextmanager
def piccolo_using(engine) -> Iterator:
    """Point Piccolo (migrations and every table class) at ``engine``."""
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    # The module engine_finder reads ($PICCOLO_CONF, else piccolo_conf).
    conf = Finder().get_piccolo_conf_module()
    tables = [*Finder().get_table_classes(), Migration]
    original = conf.DB
    conf.DB = engine
    for table in tables:
        table._meta.refresh_db()
    try:
        yield conf.DB
    finally:
        conf.DB = original
        for table in tables:
            table._meta.refresh_db()
