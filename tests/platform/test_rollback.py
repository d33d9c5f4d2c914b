"""Rollbacks that never half-happen: reversing what a migration of an
applied app truly needs is refused before anything changes, by ``piccolo
platform rollback`` and by Piccolo's own ``piccolo migrations backwards``
alike, and so is one the data present would stop half way; a rollback whose
second migration fails reverses nothing; the plan says what the rollback
costs before it asks."""

import uuid

import pytest

from platform_db.database.catalog import snapshot
from tests.servicetitan.records import job, new_tenant
from tests.support.commands import (
    ROLLBACK_PATHS,
    SERVICETITAN_TESTED_NEWEST,
    SERVICETITAN_TWO_NEWEST,
    as_newest,
    run_piccolo,
)
from tests.support.databases import connect, copy_database, drop_database, piccolo_on
from tests.support.migrations import migration_plan


@pytest.fixture(scope="module")
def database(migrated_template):
    url = copy_database(migrated_template, "test_rollback")
    yield url
    drop_database(url)


def run(url, *args):
    return run_piccolo(*args, url=url)


async def state(url):
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT app_name, name FROM migration ORDER BY id")
        return await snapshot(conn), [tuple(r) for r in rows]
    finally:
        await conn.close()


ALL_BUT_THE_FIRST = str(sum(app == "business" for app, _ in migration_plan()) - 1)


@pytest.mark.parametrize(
    "args, names",
    [
        (
            ["migrations", "backwards", "business", "--migration_id=all", "--auto_agree"],
            ["servicetitan", "reporting"],
        ),
        (["platform", "rollback", "business", "all", "--yes"], ["servicetitan", "reporting"]),
        # All but the first: the updated_at trigger function goes, which both
        # apps' triggers use.
        (
            ["platform", "rollback", "business", ALL_BUT_THE_FIRST, "--yes"],
            ["servicetitan", "reporting"],
        ),
        (
            [
                "migrations",
                "backwards",
                "business",
                "--migration_id=2026-11-22T04:42:38:428392",
                "--auto_agree",
            ],
            ["servicetitan", "reporting"],
        ),
    ],
)
async def test_reversing_an_app_others_depend_on_is_refused_with_nothing_changed(
    database, args, names
):
    before = await state(database)
    done = run(database, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    refusal = done.stderr.strip().splitlines()[-1]
    assert refusal.startswith(("refused:", "error: refused:")), done.stderr
    for name in names:
        assert name in refusal and f"piccolo platform rollback {name} " in refusal, refusal
    assert "Nothing was changed" in refusal
    assert await state(database) == before


async def test_a_rollback_failing_half_way_reverses_nothing(database):
    """reporting's three newest migrations; the oldest one's backwards cannot
    drop its function, which a hand-made trigger uses. Piccolo alone would
    leave the newer ones reversed."""
    conn = await connect(database)
    try:
        await conn.execute(
            "CREATE TABLE public.hand_made (x int);"
            " CREATE TRIGGER hand_made_guard BEFORE UPDATE ON public.hand_made"
            " FOR EACH ROW EXECUTE FUNCTION public.audit_log_refuse_change()"
        )
        before = await state(database)
        for args in (
            ["platform", "rollback", "reporting", "3", "--yes"],
            [
                "migrations",
                "backwards",
                "reporting",
                "--migration_id=2026-11-22T04:52:21:124154",
                "--auto_agree",
            ],
        ):
            done = run(database, *args)
            assert done.returncode == 1, done.stdout + done.stderr
            assert "audit_log_refuse_change" in done.stderr, done.stderr
            assert "stay applied" in done.stderr, done.stderr
            assert await state(database) == before
    finally:
        await conn.execute("DROP TABLE public.hand_made")
        await conn.close()


async def test_rollback_shows_its_plan_asks_and_reverses(database):
    before = await state(database)
    asked = run(database, "platform", "rollback", "reporting", "1")
    assert asked.returncode == 1
    assert "reverse 1 migration(s) of reporting" in asked.stdout
    assert "pass --yes" in asked.stderr
    assert await state(database) == before

    done = run(database, "platform", "rollback", "reporting", "1", "--yes")
    assert done.returncode == 0, done.stderr
    assert "reversed 1 migration(s) of reporting" in done.stdout
    _, migrations = await state(database)
    assert migrations == before[1][:-1] or len(migrations) == len(before[1]) - 1
    assert run(database, "migrations", "forwards", "all").returncode == 0
    assert (await state(database))[0] == before[0]


MIGRATIONS = "SELECT app_name, name FROM migration ORDER BY id"


async def test_one_business_migration_rolls_back_alone_on_a_database_built_by_forwards_all(
    migrated_copy,
):
    """Issue 23 item 5: the rule was "applied after", so on a database built
    by `forwards all` (servicetitan and reporting applied after every
    business migration) no business migration could be rolled back alone.
    What truly depends on business's newest (the admin's messages indexes)
    is nothing: the history without it still builds."""
    url = migrated_copy()
    before = await state(url)
    done = run(url, "platform", "rollback", "business", "1", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reversed 1 migration(s) of business" in done.stdout
    _, migrations = await state(url)
    assert migrations == [m for m in before[1] if m[1] != "2026-12-07T14:08:13:366525"]
    assert run(url, "migrations", "forwards", "all").returncode == 0


async def assignments_sync_log(url: str) -> None:
    """One sync log of data type ``assignments``, as every assignments load
    leaves (logs are history: it stays)."""
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

    with piccolo_on(url):
        company = await Company.create(name=f"Rollback salon {uuid.uuid4().hex[:6]}")
        credential = await ServiceTitanCredential.register(
            company.id, "integration", "client-rollback", "secret", tenant_id=new_tenant()
        )
        await ServiceTitanSyncLog.start(credential, "manual", "assignments")


@pytest.mark.parametrize("args", SERVICETITAN_TWO_NEWEST, ids=ROLLBACK_PATHS)
async def test_a_rollback_the_data_would_stop_half_way_is_refused_before_its_first_step(
    migrated_copy, args
):
    """Issue 19 item 4: with an `assignments` sync log, `rollback servicetitan
    2` first committed the reversal of cache_full_data_digest, then the
    backwards of sync_log_data_type_assignments (outside a transaction)
    dropped the 8-value CHECK and failed adding the 7-value one: no CHECK at
    all, the migration still recorded, and a message that said otherwise.
    The 7-value CHECK is counted against the rows first now."""
    url = migrated_copy()
    await assignments_sync_log(url)  # by today's tables, before their newer migrations go
    as_newest(url, "servicetitan", SERVICETITAN_TESTED_NEWEST)
    before = await state(url)
    done = run(url, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    refusal = done.stderr.strip().splitlines()[-1]
    assert (
        "servicetitan 2026-12-01T10:01:16:561388 (sync_log_data_type_assignments) cannot be"
        " reversed with the data present" in refusal
    ), refusal
    assert "which 1 row(s) break" in refusal and "Nothing was changed" in refusal, refusal
    assert await state(url) == before


async def test_the_plan_says_what_will_not_come_back_and_what_locks(migrated_copy):
    """Issue 23 item 5: the plan read before the question names the values a
    dropped column takes with it, the scans under a lock, and Squawk's
    findings on the backwards SQL."""
    from servicetitan.cache.raw_tables import StJob

    url = migrated_copy()
    as_newest(url, "servicetitan", SERVICETITAN_TESTED_NEWEST)
    with piccolo_on(url):
        await StJob.upsert(new_tenant(), [job(1), job(2), job(3)])
    before = await state(url)
    asked = run(url, "platform", "rollback", "servicetitan", "2")
    assert asked.returncode == 1, asked.stdout + asked.stderr
    plan = asked.stdout
    assert "drops column raw.st_jobs.full_data_digest: 3 value(s) that will not come back" in plan
    assert "drops column raw.st_technicians.full_data_digest: 0 value(s)" in plan, plan
    assert (
        "scans servicetitan_sync_logs (0 row(s)) under an ACCESS EXCLUSIVE lock to add CHECK"
        " servicetitan_sync_logs_data_type_values" in plan
    ), plan
    assert "cache_full_data_digest: ban-drop-column: ALTER TABLE" in plan, plan
    assert "sync_log_data_type_assignments: constraint-missing-not-valid" in plan, plan
    assert "(outside a transaction: its statements commit one by one)" in plan, plan
    assert await state(url) == before


async def test_planning_the_same_rollback_again_replays_nothing_and_answers_the_same(
    database, monkeypatch
):
    """What the dependents' replay found is kept by the fingerprint of the
    migrations replayed: planning the same rollback again needs no scratch
    database and refuses, or lets through, exactly as the replay did."""
    from platform_db.migrations import rollback

    plans = {}
    with piccolo_on(database):
        for selection in ("all", "1"):
            plans[selection] = (await rollback.plan_rollback("business", selection)).blockers

    def no_scratch_database(*args, **kwargs):
        raise AssertionError("a scratch database was made for a rollback planned before")

    monkeypatch.setattr(rollback, "scratch_database", no_scratch_database)
    with piccolo_on(database):
        for selection, blockers in plans.items():
            assert (await rollback.plan_rollback("business", selection)).blockers == blockers
    assert {b.app for b in plans["all"]} == {"servicetitan", "reporting"}, plans["all"]
    assert all(b.count >= 1 and b.app in b.needing for b in plans["all"]), plans["all"]
    assert plans["1"] == []
