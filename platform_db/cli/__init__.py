"""The door every project command goes through: ``@command`` (typed, bounded
arguments, one-line refusals, exit statuses), the prompts, the preflight.
May import ``platform_db.values`` only; the apps' commands import it from here.
"""

from platform_db.cli.command_line import command, help_requested, report
from platform_db.cli.preflight import without_pending_count
from platform_db.cli.prompts import confirm, read_secret
from platform_db.values.arguments import Bounds, Check, CommandError, OneOf, UsageError

__all__ = [
    "Bounds",
    "Check",
    "CommandError",
    "OneOf",
    "UsageError",
    "command",
    "confirm",
    "help_requested",
    "read_secret",
    "report",
    "without_pending_count",
]
