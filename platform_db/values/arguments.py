"""The rules a command's argument must meet, and the refusals a command ends
with: ``CommandError`` (exit status 1) and ``UsageError`` (2, nothing ran).

They live down here, beside the other rules of values, because every layer
refuses with them: a pooled connection where a session is needed
(``platform_db.database.pooler``), a migration setting out of range
(``platform_db.migrations.runner``), a command's argument (``platform_db.cli``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """What went wrong, in one sentence a user can act on."""

    exit_code = EXIT_FAILED


class UsageError(CommandError):
    """An argument that cannot be used; nothing has run."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Bounds:
    """The range a numeric argument must fall in (either end optional), as
    ``months_ahead: Annotated[int, Bounds(0, 60)] = 5``."""

    minimum: float | None = None
    maximum: float | None = None

    def check(self, label: str, value):
        if (
            self.minimum is not None
            and value < self.minimum
            or (self.maximum is not None and value > self.maximum)
        ):
            if self.minimum is not None and self.maximum is not None:
                wanted = f"between {_number(self.minimum)} and {_number(self.maximum)}"
            elif self.minimum is not None:
                wanted = f"at least {_number(self.minimum)}"
            else:
                wanted = f"at most {_number(self.maximum)}"
            raise UsageError(f"{label} must be {wanted}, not {_number(value)}")
        return value


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


class OneOf:
    """The values a text argument may take, as
    ``entity: Annotated[str, OneOf("jobs", "locations")]``."""

    def __init__(self, *values: str):
        self.values = values

    def check(self, label: str, value: str) -> str:
        if value not in self.values:
            raise UsageError(f"{label} must be one of {', '.join(self.values)}; not {value!r}")
        return value


class Check:
    """Any other rule for a text argument's form, as
    ``app: Annotated[str, Check(known_app)]``: ``rule(label, value)`` returns
    the value or raises ``UsageError``. Like the bounds, it is applied before
    the command runs (and before Piccolo's CLI connects: platform_db.cli.preflight),
    so it must not need the database."""

    def __init__(self, rule: Callable[[str, str], str]):
        self.rule = rule

    def check(self, label: str, value: str) -> str:
        return self.rule(label, value)
