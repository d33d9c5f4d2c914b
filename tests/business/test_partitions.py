"""Partition maintenance as a plan, then its steps (``business.partitions``),
from Python and as ``piccolo business maintain_partitions`` / ``stats`` run
as a user runs them: the plan first, drops only with --yes, a dry run that
changes nothing, arguments out of bounds refused naming the bound."""

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from business.partitions import PartitionMaintenanceRefused, PartitionStepFailed
from business.tables import Company, Message
from tests.business.rows import insert, month_start, partition_name

PROJECT = Path(__file__).resolve().parents[2]
PICCOLO = str(Path(sys.executable).parent / "piccolo")
# Far back, where no other test makes partitions.
RETENTION = 100
EXPIRED_MONTHS_AGO = RETENTION + 3


def piccolo_business(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, "business", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PLATFORM_DB_QUIET": "1"},
    )


@pytest.fixture
async def expired(conn):
    """A committed partition past a retention of 100 months, holding 2
    messages; gone again afterwards."""
    company = await Company.create(name="Retention salon")
    month = month_start(-EXPIRED_MONTHS_AGO)  # when the test runs, not at import
    await conn.fetch("SELECT * FROM create_messages_partition($1)", month.date())
    for day in (1, 2):
        await conn.execute(
            "INSERT INTO messages (company_id, phone, direction, created_at)"
            " VALUES ($1, '79001112233', 'incoming', $2)",
            company.id,
            month.replace(day=day),
        )
    yield partition_name(month)
    await conn.execute(f"DROP TABLE IF EXISTS {partition_name(month)}")
    await Company.delete().where(Company.id == company.id)


def month_of(partition: str) -> str:
    """``messages_2017_08`` -> ``2017-08``."""
    return partition.removeprefix("messages_").replace("_", "-")


async def exists(conn, name: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name)


async def test_the_plan_names_the_months_and_rows_it_would_drop(expired, conn):
    plan = await Message.partition_plan(5, RETENTION)
    assert plan.removes_rows
    assert [(s.action, s.partition_name, s.row_count) for s in plan.steps] == [
        ("drop", expired, 2)
    ]
    assert plan.describe() == (
        f"messages partitions, 5 month(s) ahead, {RETENTION} month(s) kept (older ones dropped):\n"
        f"  drop {expired} ({month_of(expired)}, 2 row(s))"
    )
    assert plan.code == (await Message.partition_plan(5, RETENTION)).code
    assert plan.code != (await Message.partition_plan(5, RETENTION, keep_tables=True)).code
    assert await exists(conn, expired)


async def test_applying_the_plan_does_what_it_said(expired, conn):
    plan = await Message.partition_plan(5, RETENTION)
    done = await Message.apply_partition_plan(plan)
    assert done == [{"action": "dropped", "partition_name": expired, "row_count": 2}]
    assert not await exists(conn, expired)
    assert (await Message.partition_plan(5, RETENTION)).steps == ()


async def test_a_kept_table_stays_with_its_rows(expired, conn):
    done = await Message.maintain_partitions(5, RETENTION, keep_tables=True)
    assert done == [{"action": "detached", "partition_name": expired, "row_count": 2}]
    assert await conn.fetchval(f"SELECT count(*) FROM {expired}") == 2
    assert not await conn.fetchval(
        "SELECT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = $1::regclass)", expired
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((2000, 6), "months_ahead must be between 0 and 60, not 2,000"),
        ((-1, 6), "months_ahead must be between 0 and 60, not -1"),
        ((5, 999_999_999_999), "retention_months must be between 0 and 1,200, not 999,999,999,999"),
        ((5, -1), "retention_months must be between 0 and 1,200, not -1"),
        (("5", 6), "months_ahead must be a whole number, not '5'"),
        ((5, 6, "yes"), "keep_tables must be True or False, not 'yes'"),
    ],
)
async def test_arguments_out_of_bounds_are_refused_before_anything_runs(
    migrated, arguments, message
):
    with pytest.raises(PartitionMaintenanceRefused) as refused:
        await Message.partition_plan(*arguments)
    assert str(refused.value) == message


async def test_maintenance_refuses_to_run_inside_a_transaction(expired, conn):
    plan = await Message.partition_plan(5, RETENTION)
    with pytest.raises(PartitionMaintenanceRefused, match="run it outside a transaction"):
        async with Message._meta.db.transaction():
            await Message.apply_partition_plan(plan)
    assert await exists(conn, expired)


async def test_a_step_that_fails_says_which_and_what_was_done_before(expired, conn):
    ahead = month_start(59)
    plan = await Message.partition_plan(59, RETENTION)
    # Between the plan and its steps, a table takes the name of a month to create.
    await conn.execute(f"CREATE TABLE {partition_name(ahead)} (id int)")
    try:
        with pytest.raises(PartitionStepFailed) as failed:
            await Message.apply_partition_plan(plan)
    finally:
        await conn.execute(f"DROP TABLE {partition_name(ahead)}")
        for step in plan.steps:
            if step.action == "create":
                await conn.execute(f"DROP TABLE IF EXISTS {step.partition_name}")
    message = str(failed.value)
    assert message.startswith(f"not done: create {partition_name(ahead)} ({ahead:%Y-%m}): ")
    assert "exists but is not a partition of public.messages" in message
    assert f"(steps done before it: created {partition_name(month_start(6))}; " in message
    assert await exists(conn, expired)  # drops come after creations


@pytest.mark.parametrize(
    "option, message",
    [
        ("--months_ahead=2000", "error: --months_ahead must be between 0 and 60, not 2,000"),
        ("--retention_months=999999999999",
         "error: --retention_months must be between 0 and 1,200, not 999,999,999,999"),
        ("--retention_months=-1", "error: --retention_months must be between 0 and 1,200, not -1"),
    ],
)  # fmt: skip
def test_the_command_refuses_arguments_out_of_bounds_at_once(migrated, option, message):
    refused = piccolo_business("maintain_partitions", option)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [message]
    assert refused.stdout == ""


async def test_the_command_shows_the_plan_and_drops_only_with_yes(expired, conn):
    retention = f"--retention_months={RETENTION}"
    line = f"  drop {expired} ({month_of(expired)}, 2 row(s))"

    dry = piccolo_business("maintain_partitions", retention, "--dry_run")
    assert dry.returncode == 0, dry.stderr
    assert line in dry.stdout.splitlines()
    assert dry.stdout.splitlines()[-1] == "dry run: nothing was changed"

    asked = piccolo_business("maintain_partitions", retention)
    assert asked.returncode == 1
    assert line in asked.stdout.splitlines()
    assert asked.stderr.splitlines() == [
        "error: not done: pass --yes to drop and purge as planned (nothing was changed)"
    ]
    assert await exists(conn, expired)

    done = piccolo_business("maintain_partitions", retention, "--yes")
    assert done.returncode == 0, done.stderr
    assert line in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1].split() == ["dropped", expired, "2"]
    assert not await exists(conn, expired)


def test_the_stats_command_estimates_unless_asked_to_count(migrated):
    estimated = piccolo_business("stats")
    assert estimated.returncode == 0, estimated.stderr
    assert estimated.stdout.startswith("row_count: estimated from the catalog (--exact counts)")
    counted = piccolo_business("stats", "--exact")
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.startswith("row_count: counted")
    assert "messages_default" in counted.stdout


async def test_the_seeds_one_call_function_runs_the_same_steps(expired, conn):
    """``maintain_messages_partitions(months_ahead, retention_months)``, the
    seed's function for SQL callers, stays: the plan's steps in one call."""
    plan = await Message.partition_plan(5, RETENTION)
    done = await conn.fetch("SELECT * FROM maintain_messages_partitions(5, $1)", RETENTION)
    assert [dict(r) for r in done if r["action"] == "dropped"] == [
        {"action": "dropped", "partition_name": expired, "row_count": 2}
    ]
    assert not await exists(conn, expired)
    assert {s.partition_name for s in plan.steps if s.action == "drop"} == {expired}
    with pytest.raises(Exception, match="retention"):
        await conn.fetch("SELECT * FROM maintain_messages_partitions(5, 999999)")


@pytest.fixture
async def old_messages_in_default(conn):
    """Two messages in DEFAULT past a retention of 100 months: one from
    before the cutoff a plan made last month showed (month -102), one from
    the month between that cutoff and this month's (month -101). Gone
    again afterwards."""
    company = await Company.create(name="Purge salon")
    for months_ago in (RETENTION + 2, RETENTION + 1):
        await old_message(conn, company.id, month_start(-months_ago) + timedelta(days=9))
    yield company.id
    await Company.delete().where(Company.id == company.id)


async def old_message(conn, company, created_at) -> None:
    await insert(
        conn, "messages", company_id=company, phone="79001112233", direction="incoming",
        created_at=created_at,
    )  # fmt: skip


async def default_rows_of(conn, company) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM messages_default WHERE company_id = $1", company
    )


async def test_a_purge_planned_before_a_month_began_removes_nothing(old_messages_in_default, conn):
    """Carried out after a month has begun, a plan's purge would remove rows
    older than the new cutoff: a month more than the plan showed and
    counted. It is refused, saying so, and nothing is purged; a plan made
    now has another code (the admin's check) and purges by the cutoff it
    shows."""
    company = old_messages_in_default
    now = await Message.partition_plan(5, RETENTION)
    (purge,) = [s for s in now.steps if s.action == "purge"]
    assert purge.range_end == month_start(-RETENTION)
    # What the plan said a month ago: an earlier cutoff, one of the two rows.
    planned_last_month = replace(
        now, steps=(replace(purge, range_end=month_start(-RETENTION - 1), row_count=1),)
    )

    with pytest.raises(PartitionStepFailed) as failed:
        await Message.apply_partition_plan(planned_last_month)
    assert str(failed.value) == (
        f"not done: purge 1 row(s) older than {month_start(-RETENTION - 1):%Y-%m} from "
        f"messages_default: the retention cutoff is {month_start(-RETENTION):%Y-%m} now, not "
        f"{month_start(-RETENTION - 1):%Y-%m} as planned (a month has begun since): make the "
        "plan again (steps done before it: none)"
    )
    assert await default_rows_of(conn, company) == 2
    assert planned_last_month.code != replace(now, steps=(purge,)).code

    # A message older than the cutoff shown, arriving after the plan (an
    # import of old history): past retention by the rule the plan showed,
    # it goes too, and the count reported is what was removed.
    await old_message(conn, company, month_start(-RETENTION - 5))
    done = await Message.apply_partition_plan(replace(now, steps=(purge,)))
    assert done == [
        {"action": "purged", "partition_name": "messages_default", "row_count": purge.row_count + 1}
    ]
    assert await default_rows_of(conn, company) == 0
