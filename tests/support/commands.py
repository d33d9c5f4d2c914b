"""The project's commands run as a user runs them: ``piccolo`` in a
subprocess from the project root, on a database of the test's choosing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PICCOLO = str(Path(sys.executable).with_name("piccolo"))
PROJECT = Path(__file__).resolve().parents[2]


# servicetitan's migrations back to sync_log_data_type_assignments (which
# runs outside a transaction), newest first, reversed by either path: the two
# of issue 19 and those that came after them.
ASSIGNMENTS_MIGRATION = "2026-12-01T10:01:16:561388"
DIGEST_MIGRATION = "2026-12-01T10:20:44:698106"
NEWER_SERVICETITAN_MIGRATIONS = sorted(
    (
        match.group(1)
        for path in (PROJECT / "servicetitan" / "piccolo_migrations").glob("*.py")
        if (match := re.search(r'^ID = "(.+)"', path.read_text(), re.M))
        and match.group(1) > DIGEST_MIGRATION
    ),
    reverse=True,
)
SERVICETITAN_BACK_TO_ASSIGNMENTS = str(len(NEWER_SERVICETITAN_MIGRATIONS) + 2)
SERVICETITAN_TWO_NEWEST = [
    ["platform", "rollback", "servicetitan", SERVICETITAN_BACK_TO_ASSIGNMENTS, "--yes"],
    [
        "migrations",
        "backwards",
        "servicetitan",
        f"--migration_id={ASSIGNMENTS_MIGRATION}",
        "--auto_agree",
    ],
]
ROLLBACK_PATHS = ["platform rollback", "migrations backwards"]


def run_piccolo(*args: str, url: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """``piccolo <args>`` with ``DATABASE_URL=url`` and ``env`` added; no
    terminal to answer a question on."""
    settings = {**os.environ, **({"DATABASE_URL": url} if url else {}), **env}
    return subprocess.run(
        [PICCOLO, *args],
        cwd=PROJECT,
        env=settings,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def embedded_env(data_dir: Path, quiet: bool = False) -> dict[str, str]:
    """This process's environment for a command on the embedded default (no
    ``DATABASE_URL``), with its server's data in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PLATFORM_EMBEDDED_DIR=str(data_dir), PLATFORM_DB_QUIET="1" if quiet else "0")
    return env


def errors(done: subprocess.CompletedProcess) -> list[str]:
    """The command's ``error:`` lines."""
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]
