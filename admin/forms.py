"""The operator's routine actions as admin forms: each runs one database
function of the business app and reports what it returned."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import pydantic
from piccolo.engine import engine_finder
from piccolo_admin.endpoints import FormConfig
from starlette.requests import Request

FORM_GROUP = "Maintenance"


class FunctionNotInstalled(ValueError):
    """The database function a form runs does not exist (yet) in this
    database. A ValueError, so Piccolo Admin shows it as the form's error."""


class RunNow(pydantic.BaseModel):
    """The forms take no input: submitting runs the action."""


def report(function: str, rows: list[asyncpg.Record]) -> str:
    """What ``SELECT * FROM function()`` returned, in words."""
    values = [dict(row) for row in rows]
    # A void function returns one row holding an empty value.
    if not any(v not in (None, "") for row in values for v in row.values()):
        return f"{function}() ran; it returned nothing."
    lines = [", ".join(f"{k}: {v}" for k, v in row.items()) for row in values]
    return f"{function}() ran and returned {len(lines)} row(s): " + "; ".join(lines)


async def run_function(function: str) -> str:
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
    return report(function, rows)


@dataclass(frozen=True)
class MaintenanceAction:
    name: str
    function: str  # a database function taking no arguments
    description: str

    def form(self) -> FormConfig:
        async def endpoint(request: Request, data: RunNow) -> str:
            return await run_function(self.function)

        return FormConfig(
            name=self.name,
            pydantic_model=RunNow,
            endpoint=endpoint,
            description=f"Runs {self.function}(): {self.description}",
            form_group=FORM_GROUP,
        )


MAINTENANCE_ACTIONS = [
    MaintenanceAction(
        "Maintain messages partitions",
        "maintain_messages_partitions",
        "creates the coming months' partitions of messages and drops those "
        "beyond retention.",
    ),
    MaintenanceAction(
        "Clean up expired dialog contexts",
        "cleanup_expired_dialog_contexts",
        "deletes dialog contexts whose expires_at has passed.",
    ),
    MaintenanceAction(
        "Clean up expired appointments cache",
        "cleanup_expired_appointments_cache",
        "deletes cached appointments whose expires_at has passed.",
    ),
]
MAINTENANCE_FORMS = [action.form() for action in MAINTENANCE_ACTIONS]
