"""Every migration of every app reverses exactly, without anyone writing a
test for it: on a database of its own, each migration in turn is applied,
reversed and applied again, and the catalog must match at each step; then
``backwards all`` must leave nothing of the project behind."""

import pytest
from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards

from platform_db.database.catalog import diff, snapshot, without_piccolo
from tests.conftest import SERVER_URL
from tests.support.databases import connect, create_database, drop_database, piccolo_on
from tests.support.migrations import data_only, migration_plan, python_only, reordered_tables

PLAN = migration_plan()


async def _must(result):
    outcome = await result
    assert outcome.success, outcome.message


def without_positions(snap, tables: set[str]):
    """Column positions left out for ``tables``, whose order a migration
    changes for good (PostgreSQL cannot put a column back in its place)."""
    if not tables:
        return snap
    columns = {
        key: value.rsplit(" #", 1)[0] if key.rsplit(".", 1)[0] in tables else value
        for key, value in snap["columns"].items()
    }
    return {**snap, "columns": columns}


@pytest.fixture(scope="module")
async def walk():
    """Walks every migration; returns the catalog differences per step."""
    url = create_database(SERVER_URL, "test_reversibility")
    findings: dict = {}
    try:
        with piccolo_on(url):
            conn = await connect(url)
            try:
                empty = without_piccolo(await snapshot(conn))
                before = empty
                for app, migration_id in PLAN:
                    await _must(run_forwards(app, migration_id))
                    after = await snapshot(conn)
                    changed = diff(before, without_piccolo(after))
                    await _must(run_backwards(app, migration_id, auto_agree=True))
                    reordered = await reordered_tables(app, migration_id)
                    undone = diff(
                        without_positions(before, reordered),
                        without_positions(without_piccolo(await snapshot(conn)), reordered),
                    )
                    await _must(run_forwards(app, migration_id))
                    redone = diff(after, await snapshot(conn))
                    findings[(app, migration_id)] = (changed, undone, redone)
                    before = without_piccolo(after)
                await _must(run_backwards("all", auto_agree=True))
                findings["all"] = diff(empty, without_piccolo(await snapshot(conn)))
            finally:
                await conn.close()
    finally:
        drop_database(url)
    return findings


@pytest.mark.parametrize("app,migration_id", PLAN)
async def test_migration_reverses_exactly(walk, app, migration_id):
    changed, undone, redone = walk[(app, migration_id)]
    # Only a migration of Python-only column parameters (e.g. secret=True)
    # or of rows only may leave the catalog as it was.
    assert changed or data_only(app, migration_id) or await python_only(app, migration_id), (
        f"{app} {migration_id}: forwards changed nothing in the catalog"
    )
    assert not undone, f"{app} {migration_id}: backwards left a different schema:\n" + "\n".join(
        undone
    )
    assert not redone, f"{app} {migration_id}: forwards again built something else:\n" + "\n".join(
        redone
    )


def test_backwards_all_leaves_nothing_behind(walk):
    assert not walk["all"], "backwards all left objects behind:\n" + "\n".join(walk["all"])
