"""Every test session gets a fresh database, migrated with Piccolo's own
``forwards`` and dropped at the end.

This module runs before any test imports Piccolo: it creates the database
and points ``DATABASE_URL`` at it, so ``piccolo_conf`` and every subprocess
a test starts use it.
"""

import os
import shutil
import tempfile

import pytest
from cryptography.fernet import Fernet

from tests.support.databases import create_database, drop_database, server_url

# Fixtures every test folder may use.
pytest_plugins = ["tests.support.fake_servicetitan"]

# The embedded server is the tests' own: everything that needs a server
# set up for it (a standby) must run there.
ON_EMBEDDED_SERVER = not os.environ.get("DATABASE_URL")
SERVER_URL = server_url()
TEST_DATABASE_URL = create_database(SERVER_URL, "test_platform")
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["PLATFORM_DB_QUIET"] = "1"
# Scratch databases (the SQL capture of lint / sql, the schema check) on the
# server under test, not on a second, embedded one.
os.environ["PLATFORM_SCRATCH_SERVER"] = SERVER_URL
os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEYS", Fernet.generate_key().decode())
# What check / lint / sql keep between runs: one folder per test session, so
# that each session starts with nothing kept (and then uses what it kept).
CACHE_DIR = tempfile.mkdtemp(prefix="platform-test-cache-")
os.environ["PLATFORM_CACHE_DIR"] = CACHE_DIR


# Set by .ci/run for its run on a server made for the standby tests.
STANDBY_REQUIRED = os.environ.get("PLATFORM_TEST_STANDBY_REQUIRED") == "1"


# Modules whose tests never reach PostgreSQL (the fake ServiceTitan over
# HTTP, commands' --help, import layers, settings and value parsers): marked
# ``no_database``, so .ci/run runs them once, not again on each server. The
# ``no_database_guard`` fixture fails such a test that opens a connection.
NO_DATABASE = {
    "tests/platform/test_help.py",
    "tests/platform/test_layers.py",
    "tests/servicetitan/test_api_values.py",
    "tests/servicetitan/test_entities.py",
    "tests/servicetitan/test_layers.py",
    "tests/servicetitan/worker/test_settings.py",
    *(
        f"tests/servicetitan/fake/test_{name}.py"
        for name in ("auth", "counters", "faults", "feeds", "limits", "main", "shapes")
    ),
}


def pytest_collection_modifyitems(config, items):
    """Every test that needs the hot standby is marked ``standby``, so that
    ``-m standby`` selects them (.ci/run's run on a private server); the
    tests of NO_DATABASE modules are marked ``no_database``."""
    for item in items:
        if "standby" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.standby)
        if item.nodeid.split("::", 1)[0] in NO_DATABASE:
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(autouse=True)
def no_database_guard(request, monkeypatch):
    """A ``no_database`` test that connects to PostgreSQL fails: the mark is
    what lets CI run it on one server only."""
    if request.node.get_closest_marker("no_database") is None:
        return

    def refused(*args, **kwargs):
        raise AssertionError(f"{request.node.nodeid} is marked no_database but connects")

    import asyncpg

    monkeypatch.setattr(asyncpg, "connect", refused)
    monkeypatch.setattr(asyncpg, "create_pool", refused)


def pytest_sessionfinish(session, exitstatus):
    drop_database(TEST_DATABASE_URL)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
async def migrated():
    """The test database with every migration applied, and a connection pool."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    import piccolo_conf

    result = await run_forwards("all")
    assert result.success, result.message
    await piccolo_conf.DB.start_connection_pool(min_size=1, max_size=8)
    yield piccolo_conf.DB
    await piccolo_conf.DB.close_connection_pool()


@pytest.fixture
async def conn(migrated):
    """A raw asyncpg connection to the migrated test database."""
    from tests.support.databases import connect

    connection = await connect(TEST_DATABASE_URL)
    yield connection
    await connection.close()


@pytest.fixture
async def keys(migrated, monkeypatch):
    """The session's encryption key and a new one (``tests.support.keys``);
    afterwards every value is under the session's key again."""
    from tests.support.keys import Keys

    keys = Keys(monkeypatch)
    yield keys
    await keys.restore()


@pytest.fixture
async def tx(conn):
    """``conn`` inside a transaction rolled back after the test (DDL included)."""
    transaction = conn.transaction()
    await transaction.start()
    yield conn
    await transaction.rollback()


@pytest.fixture(scope="session")
async def standby(migrated):
    """A hot standby of the test server (tests/support/standby.py), for the
    whole session. On the embedded server it must start (in CI too), and
    with PLATFORM_TEST_STANDBY_REQUIRED=1; another DATABASE_URL server that
    cannot have one (no replication entry in its pg_hba.conf, no binaries
    of its version) skips the tests that need it."""
    from platform_db.database.urls import database_name
    from tests.support.standby import StandbyUnavailable, make_standby

    try:
        standby = await make_standby(SERVER_URL)
    except StandbyUnavailable as exc:
        if ON_EMBEDDED_SERVER or STANDBY_REQUIRED:
            pytest.fail(f"no standby of the test server: {exc}")
        pytest.skip(
            f"no standby of the DATABASE_URL server: {exc} (.ci/run runs these tests on a "
            "private server of the same version too: tests/support/private_server.py)"
        )
    try:
        await standby.wait_streaming(database_name(TEST_DATABASE_URL))
        yield standby
    finally:
        standby.remove()


@pytest.fixture(scope="session")
def migrated_template():
    """A database every migration was applied to, that nobody connects to:
    the template of ``migrated_copy``."""
    from tests.support.databases import migrate_all

    url = create_database(SERVER_URL, "test_template")
    migrate_all(url)
    yield url
    drop_database(url)


@pytest.fixture
def migrated_copy(migrated_template):
    """Makes copies of a migrated database, dropped after the test."""
    from tests.support.databases import copy_database

    copies = []

    def make(prefix: str = "test_migrated") -> str:
        copies.append(copy_database(migrated_template, prefix))
        return copies[-1]

    yield make
    for url in copies:
        drop_database(url)
