"""The operator's routine actions as admin forms: each runs one of the
business app's own maintenance calls (``Message.partition_plan`` /
``apply_partition_plan``, ``business.maintenance.cleanup_expired_in``) and
reports what it did (partitions created and dropped, rows moved or
removed). The admin only words the report.

Partition maintenance shows its plan first and changes nothing; submitted
again with the plan's code, it carries out that plan, and refuses if the
plan has changed since (what runs is what was shown)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
import pydantic
from piccolo_admin.endpoints import FormConfig
from starlette.requests import Request

from business.maintenance import CLEANUPS, cleanup_expired_in
from business.partitions import MONTHS_AHEAD, RETENTION_MONTHS, PartitionMaintenanceRefused, Plan
from business.tables import Message

FORM_GROUP = "Maintenance"


class FunctionNotInstalled(ValueError):
    """The database function a form runs does not exist (yet) in this
    database. A ValueError, so Piccolo Admin shows it as the form's error."""


class RunNow(pydantic.BaseModel):
    """The forms take no input: submitting runs the action."""


# (function, what the business call returned) -> what it did, in words
Describe = Callable[[str, Any], str]
# The business app's call that runs the function
Call = Callable[[], Awaitable[Any]]


def partitions_report(function: str, rows: list[dict]) -> str:
    """What the plan's steps did: a row per partition created (with the rows
    moved in from the DEFAULT partition), dropped or detached (with the rows
    it held), and one for old rows purged from the DEFAULT partition."""
    done = {
        "created": "created {partition_name} ({row_count} row(s) moved from messages_default)",
        "dropped": "dropped {partition_name} ({row_count} row(s), past retention)",
        "detached": (
            "detached {partition_name} ({row_count} row(s), past retention), kept as a table"
        ),
        "purged": "purged {row_count} row(s) past retention from {partition_name}",
    }
    if not rows:
        return f"{function} ran: nothing was left to do."
    return f"{function} ran: " + "; ".join(done[r["action"]].format(**r) for r in rows) + "."


def plan_report(plan: Plan) -> str:
    if not plan.steps:
        return plan.describe() + "."
    steps = "; ".join(step.describe() for step in plan.steps)
    return (
        f"Plan {plan.code}: {steps}. Nothing was changed: to carry out this plan, "
        f"submit again with plan code {plan.code}."
    )


def cleanup_report(table: str) -> Describe:
    def removed(function: str, count: int) -> str:
        return f"{function}() ran: removed {count} expired row(s) from {table}."

    return removed


async def call_installed(function: str, call: Call) -> Any:
    """Run ``call`` (the business app's call of the database function
    ``function``); a function not installed is said to be so."""
    try:
        return await call()
    except asyncpg.UndefinedFunctionError:
        raise FunctionNotInstalled(
            f"{function}() is not installed in this database: the business "
            "app's migrations create it (piccolo migrations forwards business)"
        ) from None


async def run_function(function: str, describe: Describe, call: Call) -> str:
    """Run ``call`` as ``call_installed`` does and describe what it returned."""
    return describe(function, await call_installed(function, call))


@dataclass(frozen=True)
class MaintenanceAction:
    name: str
    function: str  # the database function ``call`` runs, for the report
    description: str
    describe: Describe
    call: Call

    def form(self) -> FormConfig:
        async def endpoint(request: Request, data: RunNow) -> str:
            return await run_function(self.function, self.describe, self.call)

        return FormConfig(
            name=self.name,
            pydantic_model=RunNow,
            endpoint=endpoint,
            description=f"Runs {self.function}(): {self.description}",
            form_group=FORM_GROUP,
        )


def _cleanup(table: str, what: str) -> MaintenanceAction:
    return MaintenanceAction(
        f"Clean up expired {what}",
        CLEANUPS[table],
        f"deletes the rows of {table} whose expires_at has passed.",
        cleanup_report(table),
        partial(cleanup_expired_in, table),
    )


class PartitionMaintenance(pydantic.BaseModel):
    """Without a plan code: the plan. With the code it showed: that plan, done."""

    months_ahead: int = pydantic.Field(
        5, ge=MONTHS_AHEAD.minimum, le=MONTHS_AHEAD.maximum,
        description="Months after the current one that must have a partition.",
    )  # fmt: skip
    retention_months: int = pydantic.Field(
        6, ge=RETENTION_MONTHS.minimum, le=RETENTION_MONTHS.maximum,
        description="Whole months before the current one whose messages are kept.",
    )  # fmt: skip
    keep_tables: bool = pydantic.Field(
        False, description="Detach expired partitions and keep them as tables."
    )
    plan_code: str = pydantic.Field(
        "", max_length=6,
        description="Empty: show the plan, change nothing. The code shown with a plan: do it.",
    )  # fmt: skip


PARTITIONS_FUNCTION = "messages partition maintenance"


async def maintain_partitions(data: PartitionMaintenance) -> str:
    """The plan, or (given its code) the plan carried out."""

    async def plan() -> Plan:
        return await Message.partition_plan(
            data.months_ahead, data.retention_months, data.keep_tables
        )

    current = await call_installed("messages_partition_plan", plan)
    if not data.plan_code or not current.steps:
        return plan_report(current)
    if data.plan_code.strip().lower() != current.code:
        raise PartitionMaintenanceRefused(
            f"Not done: the plan is no longer the one of code {data.plan_code.strip()!r}. "
            + plan_report(current)
        )
    done = await Message.apply_partition_plan(current)
    return partitions_report(PARTITIONS_FUNCTION, done)


def partitions_form() -> FormConfig:
    async def endpoint(request: Request, data: PartitionMaintenance) -> str:
        return await maintain_partitions(data)

    return FormConfig(
        name="Maintain messages partitions",
        pydantic_model=PartitionMaintenance,
        endpoint=endpoint,
        description=(
            "Creates the partitions of messages for this month and the months ahead (moving "
            "their rows out of messages_default), and drops those older than the retention. "
            "Submitted without a plan code it shows the plan and changes nothing; submitted "
            "with the plan's code it carries out that plan."
        ),
        form_group=FORM_GROUP,
    )


MAINTENANCE_ACTIONS = [
    _cleanup("dialog_contexts", "dialog contexts"),
    _cleanup("appointments_cache", "appointments cache"),
    _cleanup("whatsapp_auth_keys", "WhatsApp auth keys"),
]
MAINTENANCE_FORMS = [partitions_form(), *(action.form() for action in MAINTENANCE_ACTIONS)]
