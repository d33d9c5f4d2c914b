"""Rollbacks that never half-happen: reversing an app that an applied app
depends on is refused before anything changes, by ``piccolo platform
rollback`` and by Piccolo's own ``piccolo migrations backwards`` alike; a
rollback whose second migration fails reverses nothing."""

import pytest

from platform_db.database.catalog import snapshot
from tests.support.commands import run_piccolo
from tests.support.databases import connect, copy_database, drop_database


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


@pytest.mark.parametrize(
    "args, names",
    [
        (
            ["migrations", "backwards", "business", "--migration_id=all", "--auto_agree"],
            ["servicetitan", "reporting"],
        ),
        (["platform", "rollback", "business", "all", "--yes"], ["servicetitan", "reporting"]),
        (["platform", "rollback", "business", "1", "--yes"], ["servicetitan", "reporting"]),
        (["migrations", "backwards", "user", "--migration_id=all", "--auto_agree"], ["admin"]),
        (["platform", "rollback", "user", "all", "--yes"], ["admin"]),
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
