"""``piccolo platform migrate`` refuses arguments it cannot use before
anything runs, in one line, and says "rolled back" only when something was;
it refuses a pending migration the lint finds unsafe, unless told otherwise."""

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


async def test_migrate_refuses_a_pending_migration_the_lint_finds_unsafe(migrated_copy):
    """Issue 23 item 4: `platform migrate` deployed whatever was pending. It
    lints the pending migrations first now: lock_app's plain CREATE INDEX on
    companies (writes wait for the whole build) stops the deploy with the
    finding shown and nothing run; `--ignore_lint`, named in the refusal,
    deploys it anyway."""
    url = migrated_copy()
    env = {"PICCOLO_CONF": "tests.reliability.fault_conf", "FAULT_FIXED": "1"}
    refused = run_piccolo("platform", "migrate", url=url, **env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "lock_app 2026-01-01T00:00:00:000001" in refused.stderr, refused.stderr
    assert "require-concurrent-index-creation" in refused.stderr, refused.stderr
    assert "instead: build it with ConcurrentIndex" in refused.stderr, refused.stderr
    refusal = errors(refused)
    assert len(refusal) == 1 and "refused: the lint found 1 unsafe statement(s) in 1 pending" in (
        refusal[0]
    ), refused.stderr
    assert "nothing was run" in refusal[0] and "--ignore_lint" in refusal[0]
    conn = await connect(url)
    try:
        pending = "SELECT count(*) FROM migration WHERE app_name IN ('lock_app', 'fault_app')"
        assert await conn.fetchval(pending) == 0
        forced = run_piccolo("platform", "migrate", "--ignore_lint", url=url, **env)
        assert forced.returncode == 0, forced.stdout + forced.stderr
        assert await conn.fetchval(pending) == 2
    finally:
        await conn.close()
