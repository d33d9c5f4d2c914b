"""The operator's routine actions as admin forms: each runs one of the
business app's own maintenance calls (``Message.maintain_partitions``,
``business.maintenance.cleanup_expired_in``) and reports what it did
(partitions created and dropped, rows moved or removed). The admin only
words the report."""

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
    """maintain_messages_partitions() returns a row per partition it created
    (with the rows moved in from the DEFAULT partition) or dropped (with the
    rows it held), and one for old rows purged from the DEFAULT partition."""
    done = {
        "created": "created {partition_name} ({row_count} row(s) moved from messages_default)",
        "dropped": "dropped {partition_name} ({row_count} row(s), past retention)",
        "purged": "purged {row_count} row(s) past retention from {partition_name}",
    }
    if not rows:
        return (
            f"{function}() ran: nothing to do (every month ahead already has its "
            "partition, and none is past retention)."
        )
    return f"{function}() ran: " + "; ".join(done[r["action"]].format(**r) for r in rows) + "."


def cleanup_report(table: str) -> Describe:
    def removed(function: str, count: int) -> str:
        return f"{function}() ran: removed {count} expired row(s) from {table}."

    return removed


async def run_function(function: str, describe: Describe, call: Call) -> str:
    """Run ``call`` (the business app's call of the database function
    ``function``) and describe what it returned."""
    try:
        done = await call()
    except asyncpg.UndefinedFunctionError:
        raise FunctionNotInstalled(
            f"{function}() is not installed in this database: the business "
            "app's migrations create it (piccolo migrations forwards business)"
        ) from None
    return describe(function, done)


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


MAINTENANCE_ACTIONS = [
    MaintenanceAction(
        "Maintain messages partitions",
        "maintain_messages_partitions",
        "creates the partitions of messages for this month and the 5 ahead (moving "
        "their rows out of messages_default) and drops those older than 6 months.",
        partitions_report,
        Message.maintain_partitions,  # its defaults: 5 months ahead, 6 kept
    ),
    _cleanup("dialog_contexts", "dialog contexts"),
    _cleanup("appointments_cache", "appointments cache"),
    _cleanup("whatsapp_auth_keys", "WhatsApp auth keys"),
]
MAINTENANCE_FORMS = [action.form() for action in MAINTENANCE_ACTIONS]
