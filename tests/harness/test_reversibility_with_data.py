"""Every migration reverses without losing data: on a database filled in
every app (tests/support/filled.py), the migrations are walked down from the
newest, each one backwards then forwards again, and every row of every table
that migration neither creates nor drops must survive both steps (row count
and a checksum of the values of the columns that exist on both sides); the
partitioned ``messages`` keeps each row in its month's partition."""

import pytest
from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards

from tests.support.databases import connect, copy_database, drop_database, piccolo_on
from tests.support.filled import digest, fill, parsed, rows
from tests.support.migrations import data_only, migration_plan

PLAN = migration_plan()

# Filled at the top; each of these must hold rows there.
FILLED = [
    "public.companies",
    "public.clients",
    "public.services",
    "public.staff",
    "public.staff_schedules",
    "public.bookings",
    "public.dialog_contexts",
    "public.messages",
    "public.servicetitan_credentials",
    "public.servicetitan_sync_logs",
    "raw.st_jobs",
    "raw.st_locations",
    "raw.sync_state",
    "public.tenants",
    "public.users",
    "public.report_weeks",
    "public.audit_log",
    "public.piccolo_user",
    "public.admin_sessions",
]


# Migrations whose backwards PostgreSQL refuses once the data they allowed
# exists, and what the walk removes to go on below them. Such a rollback is
# refused whole (the test checks nothing changed); on a real database it stays
# refused, since these rows are history.
DATA_BOUND = {
    ("servicetitan", "2026-11-22T04:52:52:886872"): (
        "its backwards restores the old data_type CHECK, which sync logs of the data types "
        "it added (jobs, locations, ...) violate",
        "DELETE FROM public.servicetitan_sync_logs"
        " WHERE data_type NOT IN ('invoices', 'customers', 'both')",
    ),
}


async def _must(result):
    outcome = await result
    assert outcome.success, outcome.message


def _lost(
    before: dict, after: dict, between: dict | None = None, counts_only: bool = False
) -> list[str]:
    """Tables in both states whose rows differ on the columns they share (and
    ``between`` has: a column the migration adds has no data to keep); in
    number only, with ``counts_only``."""
    problems = []
    for key in before.keys() & after.keys() & (between or after).keys():
        if before[key] == after[key]:
            continue  # the same rows in the same order: nothing to digest
        old, new = parsed(before[key]), parsed(after[key])
        columns = _columns(old) & _columns(new)
        if between is not None:
            columns &= _columns(parsed(between[key][:1]))
        if counts_only:
            columns = set()
        if digest(old, columns) != digest(new, columns):
            problems.append(
                f"{key[1]}: {len(old)} rows before, {len(new)} after"
                + ("" if len(old) != len(new) else " (values changed)")
            )
    return problems


def _columns(table_rows: list[dict]) -> set[str]:
    return set(table_rows[0]) if table_rows else set()


@pytest.fixture(scope="module")
async def walk(migrated_template):
    url = copy_database(migrated_template, "test_reversibility_data")
    findings: dict = {}
    try:
        with piccolo_on(url):
            await fill()
            conn = await connect(url)
            seen: dict = {}  # what rows() read: a table as read before is not read again
            try:
                top = await rows(conn, seen)
                findings["top"] = top
                findings["misplaced"] = await conn.fetch(
                    "SELECT tableoid::regclass::text AS partition, created_at FROM public.messages"
                    " WHERE tableoid::regclass::text"
                    " <> 'messages_' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY_MM')"
                )
                here = top
                for app, migration_id in reversed(PLAN):
                    refused = None
                    if (app, migration_id) in DATA_BOUND:
                        outcome = await run_backwards(app, migration_id, auto_agree=True)
                        refused = (outcome.success, _lost(here, await rows(conn, seen)))
                        await conn.execute(DATA_BOUND[(app, migration_id)][1])
                        here = await rows(conn, seen)
                    await _must(run_backwards(app, migration_id, auto_agree=True))
                    reversed_ = await rows(conn, seen)
                    await _must(run_forwards(app, migration_id))
                    again = await rows(conn, seen)
                    # A migration that rewrites rows (DATA_ONLY: encrypting them, say)
                    # keeps their number here; its own test proves their values.
                    rewrites = data_only(app, migration_id)
                    findings[(app, migration_id)] = (
                        _lost(here, reversed_, counts_only=rewrites),
                        _lost(here, again, between=reversed_, counts_only=rewrites),
                        refused,
                    )
                    await _must(run_backwards(app, migration_id, auto_agree=True))
                    # (not reversed_: a data migration's UPDATEs stamp updated_at anew)
                    here = await rows(conn, seen)
            finally:
                await conn.close()
    finally:
        drop_database(url)
    return findings


def test_every_app_holds_data_at_the_top(walk):
    counts = {name: len(table_rows) for (_, name), table_rows in walk["top"].items()}
    empty = [name for name in FILLED if not counts.get(name)]
    assert not empty, f"no rows in {empty}"
    assert not walk["misplaced"], walk["misplaced"][:5]


@pytest.mark.parametrize("app,migration_id", PLAN)
def test_migration_keeps_every_row(walk, app, migration_id):
    after_backwards, after_forwards_again, refused = walk[(app, migration_id)]
    if refused is not None:
        succeeded, lost = refused
        assert (
            not succeeded
        ), f"{app} {migration_id} reverses with its data now: drop it from DATA_BOUND"
        assert not lost, f"{app} {migration_id}'s refused backwards changed rows: {lost}"
    assert not after_backwards, f"{app} {migration_id} backwards lost rows:\n" + "\n".join(
        after_backwards
    )
    assert (
        not after_forwards_again
    ), f"{app} {migration_id} forwards again lost rows:\n" + "\n".join(after_forwards_again)
