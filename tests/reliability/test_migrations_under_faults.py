"""Migrations under faults and concurrency, with real processes: a failed
migration leaves nothing behind, concurrent deploys apply each migration
once, and a locked table makes a migration fail fast."""

import os
import subprocess
import time

import pytest

from tests.conftest import SERVER_URL
from tests.harness.test_cli import PICCOLO, PROJECT, piccolo
from tests.support.commands import SERVICETITAN_TESTED_NEWEST, as_newest
from tests.support.databases import connect, create_database, drop_database
from tests.support.migrations import migration_plan


@pytest.fixture
def fresh_database():
    url = create_database(SERVER_URL, "test_deploy")
    yield url
    drop_database(url)


def start_migrate(env, *args, log):
    # The test apps are judged by these tests, not by the lint.
    lint = [] if env.get("PICCOLO_CONF") is None else ["--ignore_lint"]
    return subprocess.Popen(
        [PICCOLO, "platform", "migrate", *lint, *args],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _deploy(env, *args, lint: bool = False) -> subprocess.CompletedProcess:
    # The test apps are judged by these tests, not by the lint.
    return subprocess.run(
        [PICCOLO, "platform", "migrate", *([] if lint else ["--ignore_lint"]), *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


LOCK_APP_RECORDED = "SELECT count(*) FROM migration WHERE app_name = 'lock_app'"


async def lock_companies(url):
    """A connection holding ACCESS EXCLUSIVE on ``companies`` (the table the
    fault configuration's ``lock_app`` migration indexes) in an open
    transaction, and that transaction."""
    locker = await connect(url)
    transaction = locker.transaction()
    await transaction.start()
    await locker.execute("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
    return locker, transaction


async def test_a_migration_failing_half_way_leaves_nothing_and_can_be_rerun(migrated_copy):
    fresh_database = migrated_copy()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "PICCOLO_CONF": "tests.reliability.fault_conf",
    }
    failed = _deploy(env)
    assert failed.returncode != 0
    assert "deliberate failure" in failed.stdout + failed.stderr
    conn = await connect(fresh_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.fault_probe')") is None
        assert (
            await conn.fetchval("SELECT count(*) FROM migration WHERE app_name = 'fault_app'") == 0
        )
        piccolo("platform", "migrate", "--ignore_lint", env={**env, "FAULT_FIXED": "1"})
        assert await conn.fetchval("SELECT count(*) FROM fault_probe") == 1
        assert (
            await conn.fetchval("SELECT count(*) FROM migration WHERE app_name = 'fault_app'") == 1
        )
    finally:
        await conn.close()


async def test_concurrent_deploys_apply_each_migration_exactly_once(fresh_database, tmp_path):
    from platform_db.migrations.deploy import ADVISORY_LOCK_KEY

    env = {**os.environ, "DATABASE_URL": fresh_database}
    holder = await connect(fresh_database)
    logs = [open(tmp_path / f"migrate-{i}.log", "w+") for i in range(2)]
    try:
        # Hold the lock so that both processes are certainly running and
        # waiting before either may start.
        await holder.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        processes = [start_migrate(env, log=log) for log in logs]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            outputs = [(tmp_path / f"migrate-{i}.log").read_text() for i in range(2)]
            if all("waiting" in output for output in outputs):
                break
            time.sleep(0.2)
        assert all("waiting" in output for output in outputs), outputs
        await holder.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
        for process in processes:
            assert process.wait(timeout=120) == 0
        outputs = [(tmp_path / f"migrate-{i}.log").read_text() for i in range(2)]
        assert sorted("nothing left to do" in o for o in outputs) == [False, True], outputs
        assert sum("migrations applied" in o for o in outputs) == 1, outputs
        rows = await holder.fetch("SELECT app_name, name FROM migration")
        assert sorted((r["app_name"], r["name"]) for r in rows) == sorted(migration_plan())
    finally:
        for log in logs:
            log.close()
        await holder.close()


async def test_a_locked_table_makes_the_migration_fail_fast(migrated_copy):
    fresh_database = migrated_copy()
    env = {**os.environ, "DATABASE_URL": fresh_database}
    with_probes = {**env, "PICCOLO_CONF": "tests.reliability.fault_conf", "FAULT_FIXED": "1"}
    locker, transaction = await lock_companies(fresh_database)
    try:
        result = _deploy(with_probes, "--lock_timeout=300ms", "--attempts=2")
        await transaction.rollback()
        assert result.returncode == 1, result.stdout + result.stderr
        assert "lock_timeout=300ms" in result.stderr
        assert await locker.fetchval(LOCK_APP_RECORDED) == 0
        assert await locker.fetchval("SELECT to_regclass('public.lock_probe_idx')") is None
        piccolo("platform", "migrate", "--ignore_lint", env=with_probes)
        assert await locker.fetchval(LOCK_APP_RECORDED) == 1
    finally:
        await locker.close()


# Advisory locks are per database: a deploy of another database on the same
# server (another test run sharing it) holds the same key there.
DEPLOY_LOCK_HOLDER = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND ((classid::bigint << 32) | objid::bigint) = $1"
)


async def _wait_for(conn, sql, *args, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await conn.fetchval(sql, *args)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {sql}")


def _two_deploys(env, tmp_path):
    logs = [open(tmp_path / f"deploy-{i}.log", "w+") for i in range(2)]
    return logs, lambda i: (tmp_path / f"deploy-{i}.log").read_text()


async def test_a_deploy_lock_that_vanishes_mid_migration_applies_each_migration_once(
    migrated_copy, tmp_path
):
    """The lock holder's session is killed while its deploy is inside a slow
    migration: the second deploy must not run that migration again, and each
    deploy reports what really happened (issue 15, item 3)."""
    from platform_db.migrations.deploy import ADVISORY_LOCK_KEY

    fresh_database = migrated_copy()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "PICCOLO_CONF": "tests.reliability.slow_conf",
        "SLOW_MIGRATION_GATE": "1",  # slow until the lock holder is gone
    }
    watcher = await connect(fresh_database)
    await watcher.execute("CREATE TABLE public.slow_gate ()")
    logs, output = _two_deploys(env, tmp_path)
    try:
        first = start_migrate(env, log=logs[0])
        holder = await _wait_for(watcher, DEPLOY_LOCK_HOLDER, ADVISORY_LOCK_KEY)
        second = start_migrate(env, log=logs[1])
        await _wait_for(
            watcher,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
        )
        assert await watcher.fetchval("SELECT pg_terminate_backend($1)", holder)
        await watcher.execute("INSERT INTO public.slow_gate DEFAULT VALUES")
        statuses = [first.wait(timeout=180), second.wait(timeout=180)]
        assert statuses == [0, 0], [output(0), output(1)]
        assert "migrations applied by this run: 1" in output(0), output(0)
        assert "nothing left to do" in output(1), output(1)
        rows = await watcher.fetch("SELECT app_name, name FROM migration")
        recorded = sorted((r["app_name"], r["name"]) for r in rows)
        assert recorded == sorted([*migration_plan(), ("slow_app", "2026-01-01T00:00:00:000002")])
        assert await watcher.fetchval("SELECT to_regclass('public.slow_probe') IS NOT NULL")
    finally:
        for log in logs:
            log.close()
        await watcher.close()


async def test_idle_session_timeout_does_not_end_the_deploy_lock(fresh_database, tmp_path):
    # From empty: the project's migrations keep the lock's session idle for
    # seconds before the slow one.
    """With idle_session_timeout = 1s a lock held on an idle connection dies
    after a second; the deploy keeps its session alive, so the second deploy
    waits for the whole of the first one's slow run."""
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "PICCOLO_CONF": "tests.reliability.slow_conf",
        "SLOW_MIGRATION_SECONDS": "3",
    }
    admin = await connect(fresh_database)
    try:
        name = await admin.fetchval("SELECT current_database()")
        await admin.execute(f"ALTER DATABASE \"{name}\" SET idle_session_timeout = '1s'")
    finally:
        await admin.close()
    from platform_db.migrations.deploy import ADVISORY_LOCK_KEY

    logs, output = _two_deploys(env, tmp_path)
    try:
        processes = [start_migrate(env, log=logs[0])]
        watcher = await connect(fresh_database)  # busy polling: never idle for 1s
        try:
            await _wait_for(watcher, DEPLOY_LOCK_HOLDER, ADVISORY_LOCK_KEY)
        finally:
            await watcher.close()
        processes.append(start_migrate(env, log=logs[1]))
        statuses = [p.wait(timeout=180) for p in processes]
        assert statuses == [0, 0], [output(0), output(1)]
        assert "migrations applied by this run" in output(0), output(0)
        assert "waiting for it" in output(1) and "nothing left to do" in output(1), output(1)
        assert "session ended" not in output(0) + output(1)
    finally:
        for log in logs:
            log.close()


async def test_migrate_leaves_the_shared_engine_configuration_alone(fresh_database):
    """lock_timeout is set per migration transaction, never in engine.config,
    where it would stick to every later connection of the process."""
    from platform_db.migrations.deploy import migrate
    from platform_db.migrations.runner import Timeouts
    from tests.support.databases import piccolo_on

    with piccolo_on(fresh_database) as engine:
        before = {**engine.config, "server_settings": dict(engine.config["server_settings"])}
        applied = await migrate(Timeouts(lock_timeout="123ms"), wait_seconds=5)
        assert len(applied) == len(migration_plan())
        assert engine.config == before
        later = await engine.get_new_connection()
        try:
            assert await later.fetchval("SHOW lock_timeout") == "0"
        finally:
            await later.close()


def _plain_forwards(env):
    return subprocess.run(
        [PICCOLO, "migrations", "forwards", "all"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_plain_forwards_waits_lock_timeout_and_retries(migrated_copy, tmp_path):
    """Plain `piccolo migrations forwards` runs each migration with the
    project's lock_timeout, retried: a lock released during the retries lets
    the migration through; one held throughout fails it fast."""
    fresh_database = migrated_copy()
    env = {**os.environ, "DATABASE_URL": fresh_database}
    with_probes = {
        **env,
        "PICCOLO_CONF": "tests.reliability.fault_conf",
        "FAULT_FIXED": "1",
        "PLATFORM_LOCK_TIMEOUT": "300ms",
        "PLATFORM_LOCK_ATTEMPTS": "2",
    }
    locker, transaction = await lock_companies(fresh_database)
    try:
        started = time.monotonic()
        failed = _plain_forwards(with_probes)
        assert time.monotonic() - started < 20
        assert failed.returncode != 0
        assert "lock_timeout=300ms" in failed.stderr and "attempt 1 of 2" in failed.stderr
        assert await locker.fetchval(LOCK_APP_RECORDED) == 0

        log = tmp_path / "forwards.log"
        with open(log, "w") as output:
            retried = subprocess.Popen(
                [PICCOLO, "migrations", "forwards", "all"],
                cwd=PROJECT,
                env={**with_probes, "PLATFORM_LOCK_ATTEMPTS": "6"},
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
            deadline = time.monotonic() + 60
            while "retrying in" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)  # until its first attempt has given up
            await transaction.rollback()
            assert retried.wait(timeout=120) == 0, log.read_text()
        assert "attempt 1 of 6, retrying in" in log.read_text()
        assert await locker.fetchval(LOCK_APP_RECORDED) == 1
    finally:
        await locker.close()


async def test_plain_forwards_has_a_statement_timeout(migrated_copy):
    fresh_database = migrated_copy()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "PICCOLO_CONF": "tests.reliability.slow_conf",
        "SLOW_MIGRATION_SECONDS": "5",
        "PLATFORM_STATEMENT_TIMEOUT": "1s",
    }
    done = _plain_forwards(env)
    assert done.returncode != 0
    assert "statement timeout" in done.stdout + done.stderr
    conn = await connect(fresh_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.slow_probe')") is None
    finally:
        await conn.close()


SLOW_APP_RECORDED = "SELECT count(*) FROM migration WHERE app_name = 'slow_app'"


def _slow_online(url: str, seconds: float) -> dict:
    """The environment of a deploy whose last migration (slow_app's) runs
    outside a transaction and takes ``seconds``."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "PICCOLO_CONF": "tests.reliability.slow_conf",
        "SLOW_MIGRATION_SECONDS": str(seconds),
        "SLOW_MIGRATION_OUTSIDE_TRANSACTION": "1",
    }


async def test_a_long_migration_outside_a_transaction_keeps_its_apply_lock(migrated_copy):
    """Issue 19 item 6: with idle_session_timeout = 1s, the apply lock of a
    migration outside a transaction sat on an idle session that the server
    ended after a second; the migration ran in full and then could not be
    recorded (a bare InterfaceError). Its session is kept now, as the
    deploy lock's is."""
    url = migrated_copy()
    conn = await connect(url)
    try:
        name = await conn.fetchval("SELECT current_database()")
        await conn.execute(f"ALTER DATABASE \"{name}\" SET idle_session_timeout = '1s'")
        done = _deploy(_slow_online(url, 3))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "migrations applied by this run: 1" in done.stdout
        assert "Error" not in done.stderr, done.stderr
        assert await conn.fetchval(SLOW_APP_RECORDED) == 1
        assert await conn.fetchval("SELECT to_regclass('public.slow_probe') IS NOT NULL")
    finally:
        await conn.close()


async def test_an_apply_lock_lost_mid_migration_is_said_and_the_migration_recorded_once(
    migrated_copy, tmp_path
):
    """The apply lock's session is killed while the migration's step runs:
    the run says so, and records the migration under the transaction-level
    lock after checking the record again (issue 19 item 6)."""
    from platform_db.migrations.runner import APPLY_LOCK_NAME

    url = migrated_copy()
    watcher = await connect(url)
    log = tmp_path / "migrate.log"
    try:
        with open(log, "w") as output:
            process = subprocess.Popen(
                [PICCOLO, "platform", "migrate", "--ignore_lint"],
                cwd=PROJECT,
                env=_slow_online(url, 4),
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
            await _wait_for(
                watcher,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
            )
            holder = await watcher.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1", APPLY_LOCK_NAME
            )
            assert holder and await watcher.fetchval("SELECT pg_terminate_backend($1)", holder)
            assert process.wait(timeout=180) == 0, log.read_text()
        said = log.read_text()
        assert "the session holding its apply lock ended while it ran" in said, said
        assert "migrations applied by this run: 1" in said, said
        assert await watcher.fetchval(SLOW_APP_RECORDED) == 1
    finally:
        await watcher.close()


async def test_migrate_options_reach_a_migration_outside_a_transaction(migrated_copy):
    """Issue 19 item 7: Piccolo's run set the environment's timeouts again
    for a migration outside a transaction, so `--statement_timeout=500ms`
    did not cancel its 3 s statement, and `--lock_timeout` / `--attempts`
    were not the ones used."""
    url = migrated_copy()
    timed_out = _deploy(_slow_online(url, 3), "--statement_timeout=500ms")
    assert timed_out.returncode == 1, timed_out.stdout + timed_out.stderr
    assert "statement timeout" in timed_out.stderr, timed_out.stderr
    assert "none of its statements had committed; it is not recorded" in timed_out.stderr
    conn = await connect(url)
    try:
        assert await conn.fetchval(SLOW_APP_RECORDED) == 0
        assert await conn.fetchval("SELECT to_regclass('public.slow_probe')") is None
    finally:
        await conn.close()

    url = migrated_copy()
    locker, transaction = await lock_companies(url)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PICCOLO_CONF": "tests.reliability.fault_conf",
            "FAULT_FIXED": "1",
            "LOCK_MIGRATION_OUTSIDE_TRANSACTION": "1",
        }
        locked = _deploy(env, "--lock_timeout=300ms", "--attempts=2")
        await transaction.rollback()
        assert locked.returncode == 1, locked.stdout + locked.stderr
        assert "lock_timeout=300ms); attempt 1 of 2" in locked.stderr, locked.stderr
        assert await locker.fetchval(LOCK_APP_RECORDED) == 0
        assert await locker.fetchval("SELECT to_regclass('public.lock_probe_idx')") is None
    finally:
        await locker.close()


INDEX_0955 = "idx_servicetitan_sync_logs_credential_started"
ID_0955 = "2026-12-01T09:55:47:417376"


async def test_the_shipped_raw_concurrent_index_drops_its_invalid_index_and_reruns(migrated_copy):
    """Issue 23 item 3: servicetitan 09:55:47 is a raw `CREATE INDEX
    CONCURRENTLY` (no IF NOT EXISTS). A snapshot open through the deploy made
    it fail, left an INVALID index, and every later migrate failed with
    DuplicateTableError. The runner drops that index after the failure (and
    before any retry), so the next migrate builds it."""
    url = migrated_copy()
    backwards = subprocess.run(
        [
            PICCOLO,
            "migrations",
            "backwards",
            "servicetitan",
            f"--migration_id={ID_0955}",
            "--auto_agree",
        ],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert backwards.returncode == 0, backwards.stdout + backwards.stderr
    reader = await connect(url)
    snapshot = reader.transaction(isolation="repeatable_read")
    await snapshot.start()
    # A long report elsewhere: its snapshot is what a concurrent build waits for.
    await reader.fetchval("SELECT count(*) FROM companies")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        # the old names too, so that the test says the same on the code before
        "PLATFORM_LOCK_TIMEOUT": "300ms",
        "PLATFORM_CONCURRENT_LOCK_TIMEOUT": "300ms",
        "PLATFORM_LOCK_ATTEMPTS": "2",
    }
    try:
        failed = _deploy(env, lint=True)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "lock timeout" in failed.stderr and ID_0955 in failed.stderr, failed.stderr
        assert f"DROP INDEX CONCURRENTLY IF EXISTS public.{INDEX_0955}" in failed.stderr
        assert await reader.fetchval("SELECT to_regclass($1)", f"public.{INDEX_0955}") is None
    finally:
        await snapshot.rollback()
    try:
        again = _deploy(env, lint=True)
        assert again.returncode == 0, again.stdout + again.stderr
        assert await reader.fetchval(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)",
            f"public.{INDEX_0955}",
        )
    finally:
        await reader.close()


async def test_generated_operations_outside_a_transaction_have_a_lock_timeout(migrated_copy):
    """Issue 23 item 3: LiveTableMigrationManager's own DROP CONSTRAINT ran on
    a fresh connection with no lock_timeout: rolled back behind a reader, it
    queued every writer of the sync logs behind it for as long as the reader
    ran. Now it gives up after lock_timeout, is tried again, and fails
    saying so; the rollback's message says which of its migrations were
    reversed before (issue 23 item 5) and that this one changed nothing."""
    url = migrated_copy()
    as_newest(url, "servicetitan", SERVICETITAN_TESTED_NEWEST)
    env = {**os.environ, "DATABASE_URL": url}
    reader = await connect(url)
    transaction = reader.transaction()
    await transaction.start()
    await reader.fetchval("SELECT count(*) FROM servicetitan_sync_logs")  # ACCESS SHARE
    try:
        done = subprocess.run(
            [PICCOLO, "platform", "rollback", "servicetitan", "2", "--yes"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**env, "PLATFORM_LOCK_TIMEOUT": "200ms", "PLATFORM_LOCK_ATTEMPTS": "2"},
        )
    finally:
        await transaction.rollback()
    try:
        assert done.returncode == 1, done.stdout + done.stderr
        assert "lock_timeout=200ms); attempt 1 of 2" in done.stderr, done.stderr
        assert (
            "servicetitan 2026-12-01T10:01:16:561388 failed: LockTimeout:" in done.stderr
            and "none of its statements had committed; it stays recorded as applied" in done.stderr
            and "Reversed by this rollback, and recorded so: servicetitan"
            " 2026-12-01T10:20:44:698106. Still applied: servicetitan 2026-12-01T10:01:16:561388"
            in done.stderr
        ), done.stderr
        assert (
            await reader.fetchval(
                "SELECT count(*) FROM pg_constraint WHERE conname ="
                " 'servicetitan_sync_logs_data_type_8_values'"
            )
            == 1
        )
        recorded = await reader.fetch("SELECT name FROM migration WHERE app_name = 'servicetitan'")
        names = {r["name"] for r in recorded}
        assert "2026-12-01T10:01:16:561388" in names and "2026-12-01T10:20:44:698106" not in names
    finally:
        await reader.close()


async def test_a_migration_outside_a_transaction_failing_half_way_names_what_stays(
    migrated_copy,
):
    """Its statements commit one by one: the failure's message lists the
    ones that did, and says it is not recorded (issue 19 item 4)."""
    import types

    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    import platform_db.piccolo_app  # noqa: F401  (the hooks, as every command has them)
    from platform_db.migrations.runner import MigrationFailed, MigrationFile, Timeouts, apply
    from platform_db.migrations.steps import SqlStep, add_sql_steps
    from tests.support.databases import piccolo_on

    async def forwards():
        manager = MigrationManager(
            migration_id="2099-01-01T00:00:00:000000",
            app_name="half_way",
            wrap_in_transaction=False,
        )
        add_sql_steps(
            manager,
            SqlStep("CREATE TABLE half_way_probe (id int)", "DROP TABLE half_way_probe"),
            SqlStep("INSERT INTO half_way_probe VALUES ('not a number')", "SELECT 1"),
        )
        return manager

    module = types.SimpleNamespace(__name__="half_way", DESCRIPTION="half_way", forwards=forwards)
    url = migrated_copy()
    with piccolo_on(url):
        with pytest.raises(MigrationFailed) as failed:
            await apply(MigrationFile("half_way", "2099-01-01T00:00:00:000000", module), Timeouts())
    assert (
        "1 of its statements had committed and stay: `CREATE TABLE half_way_probe (id int)`;"
        " it is not recorded" in str(failed.value)
    ), failed.value
    conn = await connect(url)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.half_way_probe') IS NOT NULL")
        assert (
            await conn.fetchval("SELECT count(*) FROM migration WHERE app_name = 'half_way'") == 0
        )
    finally:
        await conn.close()
