"""``piccolo platform migrate`` refuses arguments it cannot use before
anything runs, in one line, and says "rolled back" only when something was."""

import pytest

from tests.conftest import SERVER_URL
from tests.support.commands import errors, run_piccolo
from tests.support.databases import connect, create_database, drop_database


@pytest.fixture(scope="module")
def empty_database():
    url = create_database(SERVER_URL, "test_migrate_args")
    yield url
    drop_database(url)


# More refusals, on a migrated database: tests/platform/test_command_refusals.py.
@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--lock_timeout=0"], {}, "--lock_timeout must be between 1ms and 1h, not 0"),
        (["--statement_timeout=5 parsecs"], {}, "--statement_timeout: '5 parsecs' is not"),
        ([], {"PLATFORM_LOCK_TIMEOUT": "soon"}, "PLATFORM_LOCK_TIMEOUT: 'soon' is not"),
    ],
)
async def test_a_bad_argument_is_one_line_and_nothing_runs(empty_database, args, env, message):
    done = run_piccolo("platform", "migrate", *args, url=empty_database, **env)
    assert done.returncode == 2, done.stderr
    assert len(errors(done)) == 1 and message in errors(done)[0], done.stderr
    assert "rolled back" not in done.stderr
    conn = await connect(empty_database)
    try:
        # (Piccolo's own start-up check creates the empty migration table.)
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog',"
            " 'information_schema') AND tablename <> 'migration'"
        )
        assert tables == []
    finally:
        await conn.close()
