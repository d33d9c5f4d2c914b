"""The operator's routine actions as admin forms: each runs one database
function of the business app and reports what it did (partitions created
and dropped, rows moved or removed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import pydantic
from piccolo.engine import engine_finder
from piccolo_admin.endpoints import FormConfig
from starlette.requests import Request

from business.maintenance import CLEANUPS

FORM_GROUP = "Maintenance"


class FunctionNotInstalled(ValueError):
    """The database function a form runs does not exist (yet) in this
    database. A ValueError, so Piccolo Admin shows it as the form's error."""


class RunNow(pydantic.BaseModel):
    """The forms take no input: submitting runs the action."""


# (function, the rows it returned) -> what it did, in words
Describe = Callable[[str, list[asyncpg.Record]], str]


def partitions_report(function: str, rows: list[asyncpg.Record]) -> str:
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
    def removed(function: str, rows: list[asyncpg.Record]) -> str:
        return f"{function}() ran: removed {rows[0][0]} expired row(s) from {table}."

    return removed


async def run_function(function: str, describe: Describe) -> str:
    """Run ``SELECT * FROM function()``; ``function`` is one of this
    module's fixed names, never user input."""
    conn = await engine_finder().get_new_connection()
    try:
        rows = await conn.fetch(f"SELECT * FROM {function}()")
    except asyncpg.UndefinedFunctionError:
        raise FunctionNotInstalled(
            f"{function}() is not installed in this database: the business "
            "app's migrations create it (piccolo migrations forwards business)"
        ) from None
    finally:
        await conn.close()
    return describe(function, rows)


@dataclass(frozen=True)
class MaintenanceAction:
    name: str
    function: str  # a database function taking no arguments
    description: str
    describe: Describe

    def form(self) -> FormConfig:
        async def endpoint(request: Request, data: RunNow) -> str:
            return await run_function(self.function, self.describe)

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
    )


MAINTENANCE_ACTIONS = [
    MaintenanceAction(
        "Maintain messages partitions",
        "maintain_messages_partitions",
        "creates the partitions of messages for this month and the 5 ahead (moving "
        "their rows out of messages_default) and drops those older than 6 months.",
        partitions_report,
    ),
    _cleanup("dialog_contexts", "dialog contexts"),
    _cleanup("appointments_cache", "appointments cache"),
    _cleanup("whatsapp_auth_keys", "WhatsApp auth keys"),
]
MAINTENANCE_FORMS = [action.form() for action in MAINTENANCE_ACTIONS]
