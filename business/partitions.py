"""Maintenance of the messages partitions as a plan, then its steps.

``plan`` asks the database what maintenance would do (``messages_partition_plan``:
partitions to create, with the rows they take out of DEFAULT; partitions past
retention to drop or detach, and DEFAULT's rows to purge, counted) and
changes nothing. ``apply`` carries out exactly the steps of a plan, each in a
transaction of its own, so that a step's locks are held for that step only
(the migration ``partition_maintenance_in_short_locks`` says which locks,
and how briefly). The commands and the admin show the plan first: what is
done and what was shown come from the same rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from piccolo.table import Table

from platform_db.cli import Bounds, UsageError
from platform_db.database.connection import fetch

# What the database functions accept too (they refuse the rest).
MONTHS_AHEAD = Bounds(0, 60)
RETENTION_MONTHS = Bounds(0, 1200)

# What each step does to rows: only these need a confirmation.
REMOVES_ROWS = {"drop", "detach", "purge"}


class PartitionMaintenanceRefused(ValueError):
    """Arguments or a context maintenance cannot run with; nothing changed."""


class PartitionStepFailed(ValueError):
    """A step of a plan could not be carried out; the steps before it were."""


class PlanOutdated(ValueError):
    """A step would no longer do what its plan said (nothing of it was done)."""


@dataclass(frozen=True)
class Step:
    action: str  # create, drop, detach or purge
    partition_name: str
    range_start: datetime | None
    range_end: datetime | None
    row_count: int

    def describe(self) -> str:
        month, rows = _month(self.range_start), f"{self.row_count:,} row(s)"
        if self.action == "create":
            moved = f", moving {rows} out of messages_default" if self.row_count else ""
            return f"create {self.partition_name} ({month}{moved})"
        if self.action == "drop":
            return f"drop {self.partition_name} ({month}, {rows})"
        if self.action == "detach":
            return f"detach {self.partition_name} ({month}, {rows}), kept as a table"
        return (
            f"purge {self.row_count:,} row(s) older than {_month(self.range_end)} "
            f"from {self.partition_name}"
        )


def _month(moment: datetime | None) -> str:
    return f"{moment:%Y-%m}" if moment else "?"


@dataclass(frozen=True)
class Plan:
    months_ahead: int
    retention_months: int
    keep_tables: bool
    steps: tuple[Step, ...]

    @property
    def removes_rows(self) -> bool:
        return any(step.action in REMOVES_ROWS for step in self.steps)

    @property
    def code(self) -> str:
        """Six hex digits naming what the plan does (not its counts; a
        purge's cutoff, which moves when a month begins): the admin asks for
        it back, so that what runs is what was shown."""
        what = "|".join(f"{s.action} {s.partition_name} {_month(s.range_end)}" for s in self.steps)
        key = f"{self.months_ahead}|{self.retention_months}|{self.keep_tables}|{what}"
        return hashlib.sha256(key.encode()).hexdigest()[:6]

    def describe(self) -> str:
        if not self.steps:
            return (
                "messages partitions: nothing to do (every month ahead has its partition, "
                "and nothing is past retention)"
            )
        kept = "detached and kept" if self.keep_tables else "dropped"
        header = (
            f"messages partitions, {self.months_ahead} month(s) ahead, "
            f"{self.retention_months} month(s) kept (older ones {kept}):"
        )
        return "\n".join([header, *(f"  {step.describe()}" for step in self.steps)])


def check_arguments(months_ahead, retention_months, keep_tables) -> None:
    for label, bounds, value in (
        ("months_ahead", MONTHS_AHEAD, months_ahead),
        ("retention_months", RETENTION_MONTHS, retention_months),
    ):
        if type(value) is not int:
            raise PartitionMaintenanceRefused(f"{label} must be a whole number, not {value!r}")
        try:
            bounds.check(label, value)
        except UsageError as exc:
            raise PartitionMaintenanceRefused(str(exc)) from None
    if type(keep_tables) is not bool:
        raise PartitionMaintenanceRefused(f"keep_tables must be True or False, not {keep_tables!r}")


async def plan(
    table: type[Table], months_ahead: int, retention_months: int, keep_tables: bool = False
) -> Plan:
    check_arguments(months_ahead, retention_months, keep_tables)
    rows = await fetch(
        table,
        "SELECT * FROM public.messages_partition_plan($1, $2, $3)",
        months_ahead,
        retention_months,
        keep_tables,
    )
    return Plan(months_ahead, retention_months, keep_tables, tuple(Step(**row) for row in rows))


async def apply(table: type[Table], plan: Plan) -> list[dict]:
    """Carry out ``plan``'s steps in order, each committed on its own: what
    was done (``action`` created / dropped / detached / purged,
    ``partition_name``, ``row_count`` as it was then)."""
    if table._meta.db.current_transaction.get() is not None:
        raise PartitionMaintenanceRefused(
            "partition maintenance commits each step on its own, so that no lock outlives "
            "its step: run it outside a transaction"
        )
    done: list[dict] = []
    for step in plan.steps:
        try:
            row = await _carry_out(table, plan, step)
        except (asyncpg.PostgresError, PlanOutdated) as exc:
            before = "; ".join(f"{d['action']} {d['partition_name']}" for d in done) or "none"
            raise PartitionStepFailed(
                f"not done: {step.describe()}: {' '.join(str(exc).split())} "
                f"(steps done before it: {before})"
            ) from None
        if row is not None:
            done.append(row)
    return done


async def _carry_out(table: type[Table], plan: Plan, step: Step) -> dict | None:
    """One step, in a transaction of its own; what it did, or None if it
    found nothing left to do."""
    if step.action == "create":
        [row] = await fetch(
            table,
            "SELECT * FROM public.create_messages_partition($1)",
            step.range_start.date(),  # a UTC month start, as asyncpg returns it
        )
        if not row["created"]:
            return None
        return {"action": "created", "partition_name": row["partition_name"],
                "row_count": row["rows_moved"]}  # fmt: skip
    if step.action in ("drop", "detach"):
        [row] = await fetch(
            table,
            "SELECT * FROM public.drop_messages_partition($1, $2, $3)",
            step.partition_name,
            plan.retention_months,
            step.action == "detach",
        )
        return row
    # Only with the cutoff the plan showed: once a month has begun, the
    # retention's cutoff is a month later, and the purge would remove a month
    # of rows the plan neither showed nor counted. (Rows older than the
    # shown cutoff that arrived since are past retention by the rule shown:
    # they go too, and the count returned is what was removed.)
    [row] = await fetch(
        table,
        """
        SELECT CASE WHEN public.messages_retention_cutoff($1) = $2
                    THEN public.purge_messages_default($1)
               END AS row_count,
               public.messages_retention_cutoff($1) AS cutoff
        """,
        plan.retention_months,
        step.range_end,
    )
    if row["row_count"] is None:
        raise PlanOutdated(
            f"the retention cutoff is {_month(row['cutoff'])} now, not {_month(step.range_end)} "
            "as planned (a month has begun since): make the plan again"
        )
    if not row["row_count"]:
        return None
    return {
        "action": "purged",
        "partition_name": step.partition_name,
        "row_count": row["row_count"],
    }
