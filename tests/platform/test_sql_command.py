"""``piccolo platform sql``: the exact SQL of each migration, raw steps
included, as a script psql applies; captured on a scratch database, never on
the configured one."""

import pytest

from platform_db.database.catalog import diff, snapshot
from tests.conftest import SERVER_URL
from tests.support import pg_tools
from tests.support.commands import run_piccolo
from tests.support.databases import connect, create_database, drop_database

# Nothing answers here: the commands must not need the configured database.
NOWHERE = "postgresql://nobody@127.0.0.1:1/nowhere"


def sql(*args):
    return run_piccolo("platform", "sql", *args, url=NOWHERE)


@pytest.fixture
def databases(migrated_copy):
    """An empty database for psql, one that Piccolo migrated."""
    empty = create_database(SERVER_URL, "test_sql")
    yield empty, migrated_copy("test_sql_piccolo")
    drop_database(empty)


async def state(url):
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT app_name, name FROM migration ORDER BY app_name, name")
        return await snapshot(conn), [tuple(r) for r in rows]
    finally:
        await conn.close()


async def test_the_scripts_build_what_piccolo_builds(databases):
    by_psql, by_piccolo = databases
    done = sql("all")
    assert done.returncode == 0, done.stderr
    script = done.stdout
    assert "CREATE OR REPLACE FUNCTION public.create_messages_partition" in script  # raw steps
    assert "SET LOCAL lock_timeout" in script
    pg_tools.run("psql", by_psql, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-", stdin=script)
    built_by_psql, recorded_by_psql = await state(by_psql)
    built_by_piccolo, recorded_by_piccolo = await state(by_piccolo)
    assert diff(built_by_piccolo, built_by_psql) == []
    assert recorded_by_psql == recorded_by_piccolo

    newest = recorded_by_piccolo and max(
        (name for app, name in recorded_by_piccolo if app == "reporting")
    )
    backwards = sql("reporting", newest, "--backwards")
    assert backwards.returncode == 0, backwards.stderr
    assert backwards.stdout.count("(backwards)") == 1
    pg_tools.run("psql", by_psql, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-", stdin=backwards.stdout)
    assert (
        run_piccolo(
            "migrations", "backwards", "reporting", "--auto_agree", url=by_piccolo
        ).returncode
        == 0
    )
    assert await state(by_psql) == await state(by_piccolo)
