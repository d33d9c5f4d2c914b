"""Migrations under faults and concurrency, with real processes: a failed
migration leaves nothing behind, concurrent deploys apply each migration
once, and a locked table makes a migration fail fast."""

import os
import subprocess
import time

import pytest

from tests.conftest import SERVER_URL
from tests.harness.test_cli import PICCOLO, PROJECT, piccolo
from tests.support.databases import connect, create_database, drop_database
from tests.support.migrations import migration_plan


@pytest.fixture
def fresh_database():
    url = create_database(SERVER_URL, "test_deploy")
    yield url
    drop_database(url)


def start_migrate(env, *args, log):
    return subprocess.Popen(
        [PICCOLO, "platform", "migrate", *args],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_a_migration_failing_half_way_leaves_nothing_and_can_be_rerun(fresh_database):
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "PICCOLO_CONF": "tests.reliability.fault_conf",
    }
    failed = subprocess.run(
        [PICCOLO, "platform", "migrate"], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert failed.returncode != 0
    assert "deliberate failure" in failed.stdout + failed.stderr
    conn = await connect(fresh_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.fault_probe')") is None
        assert await conn.fetchval(
            "SELECT count(*) FROM migration WHERE app_name = 'fault_app'"
        ) == 0
        piccolo("platform", "migrate", env={**env, "FAULT_FIXED": "1"})
        assert await conn.fetchval("SELECT count(*) FROM fault_probe") == 1
        assert await conn.fetchval(
            "SELECT count(*) FROM migration WHERE app_name = 'fault_app'"
        ) == 1
    finally:
        await conn.close()


async def test_concurrent_deploys_apply_each_migration_exactly_once(fresh_database, tmp_path):
    from platform_db.deploy import ADVISORY_LOCK_KEY

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


async def test_a_locked_table_makes_the_migration_fail_fast(fresh_database):
    env = {**os.environ, "DATABASE_URL": fresh_database}
    piccolo("platform", "migrate", env=env)
    with_probes = {**env, "PICCOLO_CONF": "tests.reliability.fault_conf", "FAULT_FIXED": "1"}
    locker = await connect(fresh_database)
    try:
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        result = subprocess.run(
            [PICCOLO, "platform", "migrate", "--lock_timeout=300ms"],
            cwd=PROJECT,
            env=with_probes,
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
        await transaction.rollback()
        assert result.returncode == 1, result.stdout + result.stderr
        assert "lock_timeout=300ms" in result.stderr
        assert elapsed < 20
        recorded = "SELECT count(*) FROM migration WHERE app_name = 'lock_app'"
        assert await locker.fetchval(recorded) == 0
        assert await locker.fetchval("SELECT to_regclass('public.lock_probe_idx')") is None
        piccolo("platform", "migrate", env=with_probes)
        assert await locker.fetchval(recorded) == 1
    finally:
        await locker.close()
