"""The commands users run, as subprocesses: the same code path as the CLI."""

import os
import subprocess

import pytest

from platform_db.database.catalog import diff, snapshot, without_piccolo
from platform_db.database.urls import redacted
from tests.conftest import SERVER_URL
from tests.support.commands import PICCOLO, PROJECT, embedded_env
from tests.support.databases import connect, create_database, drop_database


def piccolo(*args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PICCOLO, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def fresh_database():
    url = create_database(SERVER_URL, "test_cli")
    yield url
    drop_database(url)


async def test_forwards_all_then_backwards_all_leaves_the_database_as_it_was(fresh_database):
    env = {**os.environ, "DATABASE_URL": fresh_database}
    conn = await connect(fresh_database)
    try:
        empty = await snapshot(conn)
        piccolo("migrations", "forwards", "all", env=env)
        built = await snapshot(conn)
        assert "public.servicetitan_sync_logs" in built["relations"]
        piccolo("migrations", "backwards", "all", "--auto_agree", env=env)
        assert diff(empty, without_piccolo(await snapshot(conn))) == []
        assert await conn.fetchval("SELECT count(*) FROM migration") == 0
    finally:
        await conn.close()


def test_embedded_server_by_default_and_a_second_command_sees_the_data(tmp_path):
    env = embedded_env(tmp_path / "pg")
    first = piccolo("migrations", "forwards", "all", env=env)
    assert "(embedded PostgreSQL)" in first.stderr
    assert str(tmp_path / "pg") in first.stderr
    second = piccolo("migrations", "check", env=env)
    assert second.stdout.count("| True") >= 4, second.stdout  # every migration ran
    assert "False" not in second.stdout


def test_messages_never_show_a_password():
    url = "postgresql://app:s3cr3t-pw@db.example:5432/platform"
    assert redacted(url) == "postgresql://app:***@db.example:5432/platform"
    assert redacted("postgresql://app@db/platform") == "postgresql://app@db/platform"


@pytest.mark.parametrize("unrecorded", [0, 3])
async def test_the_pending_count_before_a_command_is_piccolos(
    migrated_copy, monkeypatch, unrecorded
):
    """Before a command, the count of migrations not yet run is Piccolo's
    (``get_migration_statuses``, one connection per migration), from one
    query (platform_db/cli/preflight.py); the CLI warns with it."""
    import asyncpg
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    from platform_db.cli.preflight import pending_count
    from tests.support.databases import piccolo_on

    url = migrated_copy()
    conn = await connect(url)
    try:
        await conn.execute(
            "DELETE FROM migration WHERE id IN (SELECT id FROM migration ORDER BY id DESC LIMIT $1)",
            unrecorded,
        )
    finally:
        await conn.close()
    with piccolo_on(url):
        statuses = await CheckMigrationManager("all").get_migration_statuses()
        opened = []
        real = asyncpg.connect
        monkeypatch.setattr(asyncpg, "connect", lambda *a, **k: opened.append(1) or real(*a, **k))
        counted = await pending_count(CheckMigrationManager("all"))
    assert len(opened) <= 2, "the migrations table is looked for, then read once"
    assert counted == sum(not s.has_ran for s in statuses) == unrecorded
    done = piccolo("business", "stats", env={**os.environ, "DATABASE_URL": url})
    assert ("=> 3 migrations haven't been run" in done.stderr) == (unrecorded == 3), done.stderr
