"""``piccolo platform migrate`` refuses arguments it cannot use before
anything runs, in one line, and says "rolled back" only when something was."""

import os
import subprocess

import pytest

from tests.conftest import SERVER_URL
from tests.harness.test_cli import PICCOLO, PROJECT
from tests.support.databases import connect, create_database, drop_database


@pytest.fixture(scope="module")
def empty_database():
    url = create_database(SERVER_URL, "test_migrate_args")
    yield url
    drop_database(url)


def migrate(url, *args, **env):
    return subprocess.run(
        [PICCOLO, "platform", "migrate", *args],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--lock_timeout=abc"], {}, "--lock_timeout: 'abc' is not a PostgreSQL duration"),
        (["--lock_timeout=0"], {}, "--lock_timeout must be between 1ms and 1h, not 0"),
        (["--statement_timeout=5 parsecs"], {}, "--statement_timeout: '5 parsecs' is not"),
        (["--wait=-1"], {}, "--wait must be between 0 and 86,400, not -1"),
        (["--attempts=0"], {}, "--attempts must be between 1 and 20, not 0"),
        ([], {"PLATFORM_LOCK_TIMEOUT": "soon"}, "PLATFORM_LOCK_TIMEOUT: 'soon' is not"),
    ],
)
async def test_a_bad_argument_is_one_line_and_nothing_runs(empty_database, args, env, message):
    done = migrate(empty_database, *args, **env)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr
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
