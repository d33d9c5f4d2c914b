"""What a command asks its user: a secret at a prompt that does not echo it,
and "go ahead?" before it drops or rewrites data."""

from __future__ import annotations

import getpass
import sys

from platform_db.values.arguments import CommandError, UsageError


def read_secret(label: str) -> str:
    """A secret typed at a prompt that does not echo it, or the first line
    of standard input when that is not a terminal (``... < file``, a pipe).
    Never a command-line argument: the shell's history and ``ps`` show those.
    """
    if sys.stdin.isatty():
        value = getpass.getpass(f"{label}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value.strip():
        raise UsageError(f"no {label} given (nothing was stored)")
    return value


def confirm(plan: str, yes: bool, action: str = "go ahead") -> None:
    """Show ``plan``; go on only with ``--yes`` or a "y" typed at the prompt.

    Without a terminal to ask on and without ``--yes``, refuse: a script or
    cron job passes ``--yes`` once it has seen the plan.
    """
    print(plan)
    if yes:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"not done: pass --yes to {action} (nothing was changed)")
    try:
        answer = input(f"{action}? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in {"y", "yes"}:
        raise CommandError("not done: declined at the prompt (nothing was changed)")
