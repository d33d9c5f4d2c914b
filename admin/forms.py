"""The operator's routine actions as admin forms: each runs one of the
business app's own maintenance calls (``Message.partition_plan`` /
``apply_partition_plan``, ``business.maintenance.cleanup_expired_in``) and
reports what it did (partitions created and dropped, rows moved or
removed). The admin only words the report.

Each form shows what it would do first and changes nothing: the plan (the
partitions it would create, drop or detach, the rows it would purge; the
expired rows a cleanup would delete) with a confirmation code
(``admin.confirmations``: bound to the session, the exact plan and a secret
of the server, single use, expiring). Submitted again with that code it
carries out that plan, and refuses if the plan has changed since (what runs
is what was shown). Dropping, detaching or purging messages is for
superusers only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
import pydantic
from piccolo_admin.endpoints import FormConfig
from starlette.requests import Request

from admin.confirmations import ConfirmationRefused, Confirmations
from business.maintenance import CLEANUPS, cleanup_expired_in
from business.partitions import MONTHS_AHEAD, RETENTION_MONTHS, Plan
from business.tables import Company, Message

FORM_GROUP = "Maintenance"
SESSION_COOKIE = "id"


class FunctionNotInstalled(ValueError):
    """The database function a form runs does not exist (yet) in this
    database. A ValueError, so Piccolo Admin shows it as the form's error."""


class Confirm(pydantic.BaseModel):
    """Without a code: what the form would do. With the code it showed: done."""

    confirmation: str = pydantic.Field(
        "", max_length=80,
        description="Empty: show what would be removed, change nothing. The code shown: do it.",
    )  # fmt: skip


def _session(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


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


def plan_report(plan: Plan, code: str, superuser: bool) -> str:
    if not plan.steps:
        return plan.describe() + "."
    steps = "; ".join(step.describe() for step in plan.steps)
    who = (
        " Only a superuser can carry out a plan that drops, detaches or purges messages."
        if plan.removes_rows and not superuser
        else ""
    )
    return (
        f"Plan: {steps}. Nothing was changed: to carry out this plan, submit again with the "
        f"plan code {code} (this session only, once, within 10 minutes).{who}"
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


@dataclass(frozen=True)
class MaintenanceAction:
    name: str
    function: str  # the database function ``call`` runs, for the report
    table: str  # whose expired rows it deletes
    description: str
    describe: Describe
    call: Call

    async def run(self, request: Request, data: Confirm, confirmations: Confirmations) -> str:
        """The rows it would remove (counted by running it in a transaction
        rolled back), or, given the code shown with that count, removed."""
        async with Company._meta.db.transaction() as transaction:
            removed = await call_installed(self.function, self.call)
            plan = f"remove {removed} expired row(s) from {self.table}"
            if removed and data.confirmation.strip():
                try:
                    confirmations.redeem(_session(request), self.function, plan, data.confirmation)
                except ConfirmationRefused as exc:
                    await transaction.rollback()
                    code = confirmations.issue(_session(request), self.function, plan)
                    raise ConfirmationRefused(
                        f"Not done: {exc}. Now {self.function}() would {plan}: to do it, "
                        f"submit again with the code {code}."
                    ) from None
                return self.describe(self.function, removed)
            await transaction.rollback()
        if not removed:
            return f"{self.function}(): nothing to remove, no row of {self.table} has expired."
        code = confirmations.issue(_session(request), self.function, plan)
        return (
            f"{self.function}() would {plan}. Nothing was changed: to do it, submit again "
            f"with the code {code} (this session only, once, within 10 minutes)."
        )

    def form(self, confirmations: Confirmations) -> FormConfig:
        async def endpoint(request: Request, data: Confirm) -> str:
            return await self.run(request, data, confirmations)

        return FormConfig(
            name=self.name,
            pydantic_model=Confirm,
            endpoint=endpoint,
            description=f"Runs {self.function}(): {self.description}",
            form_group=FORM_GROUP,
        )


def _cleanup(table: str, what: str) -> MaintenanceAction:
    return MaintenanceAction(
        f"Clean up expired {what}",
        CLEANUPS[table],
        table,
        f"deletes the rows of {table} whose expires_at has passed. Submitted without a "
        "code it says how many it would delete and changes nothing.",
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
        "", max_length=80,
        description="Empty: show the plan, change nothing. The code shown with a plan: do it.",
    )  # fmt: skip


PARTITIONS_FUNCTION = "messages partition maintenance"


class SuperusersOnly(ValueError):
    """A plan only a superuser may carry out (shown as the form's error)."""


async def maintain_partitions(
    request: Request, data: PartitionMaintenance, confirmations: Confirmations
) -> str:
    """The plan, or (given the code it was shown with) the plan carried out."""

    async def plan() -> Plan:
        return await Message.partition_plan(
            data.months_ahead, data.retention_months, data.keep_tables
        )

    superuser = request.user.user.superuser
    current = await call_installed("messages_partition_plan", plan)
    session, text = _session(request), current.describe()
    if not data.plan_code.strip() or not current.steps:
        return plan_report(
            current, confirmations.issue(session, PARTITIONS_FUNCTION, text), superuser
        )
    if current.removes_rows and not superuser:
        raise SuperusersOnly(
            "Not done: only a superuser can carry out a plan that drops, detaches or purges "
            "messages."
        )
    try:
        confirmations.redeem(session, PARTITIONS_FUNCTION, text, data.plan_code)
    except ConfirmationRefused as exc:
        code = confirmations.issue(session, PARTITIONS_FUNCTION, text)
        raise ConfirmationRefused(
            f"Not done: {exc}. " + plan_report(current, code, superuser)
        ) from None
    done = await Message.apply_partition_plan(current)
    return partitions_report(PARTITIONS_FUNCTION, done)


def partitions_form(confirmations: Confirmations) -> FormConfig:
    async def endpoint(request: Request, data: PartitionMaintenance) -> str:
        return await maintain_partitions(request, data, confirmations)

    return FormConfig(
        name="Maintain messages partitions",
        pydantic_model=PartitionMaintenance,
        endpoint=endpoint,
        description=(
            "Creates the partitions of messages for this month and the months ahead (moving "
            "their rows out of messages_default), and drops those older than the retention. "
            "Submitted without a plan code it shows the plan and changes nothing; submitted "
            "with the plan's code it carries out that plan (dropping, detaching or purging "
            "messages: superusers only)."
        ),
        form_group=FORM_GROUP,
    )


MAINTENANCE_ACTIONS = [
    _cleanup("dialog_contexts", "dialog contexts"),
    _cleanup("appointments_cache", "appointments cache"),
    _cleanup("whatsapp_auth_keys", "WhatsApp auth keys"),
]


def maintenance_forms(confirmations: Confirmations) -> list[FormConfig]:
    return [
        partitions_form(confirmations),
        *(action.form(confirmations) for action in MAINTENANCE_ACTIONS),
    ]
