"""The project's commands run as a user runs them: ``piccolo`` in a
subprocess from the project root, on a database of the test's choosing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PICCOLO = str(Path(sys.executable).with_name("piccolo"))
PROJECT = Path(__file__).resolve().parents[2]


# The rollback tests reverse servicetitan's cache_full_data_digest and, before
# it, sync_log_data_type_assignments (which runs outside a transaction): on a
# copy where the first is the newest applied (``as_newest``), by either path.
SERVICETITAN_TESTED_NEWEST = "2026-12-01T10:20:44:698106"
SERVICETITAN_TWO_NEWEST = [
    ["platform", "rollback", "servicetitan", "2", "--yes"],
    [
        "migrations",
        "backwards",
        "servicetitan",
        "--migration_id=2026-12-01T10:01:16:561388",
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


def as_newest(url: str, app: str, migration_id: str) -> None:
    """Reverse every migration of ``app`` newer than ``migration_id`` on
    ``url``, so that a test of the app's newest migrations keeps its meaning
    as later migrations land."""
    from platform_db.migrations.runner import migration_files

    ids = [f.migration_id for f in migration_files(app)]
    newer = ids[ids.index(migration_id) + 1 :]
    if newer:
        done = run_piccolo(
            "migrations", "backwards", app, f"--migration_id={newer[0]}", "--auto_agree", url=url
        )
        assert done.returncode == 0, done.stdout + done.stderr
