"""A PostgreSQL server of a given major version made for one test run, from
that version's binaries on this machine (the distribution's, as the shared
server's own): for the tests that need a server set up for them, such as a
hot standby, where the shared server's configuration refuses it (its
pg_hba.conf has no ``replication`` entry, and the tests never change a shared
server). Made by ``initdb --auth=trust``, whose pg_hba.conf lets local
replication connections in; it listens on a Unix socket in its directory
only. ``.ci/run`` runs the standby tests on one made from the binaries of
the shared server's version:

    python -m tests.support.private_server start 15   # prints its URL and directory
    python -m tests.support.private_server stop DIRECTORY
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

# platformdirs (imported by the embedded wheel, for its server user) warns
# when XDG_RUNTIME_DIR is unset, as it is in CI: nothing this run uses.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

from tests.support.processes import as_server_user, free_port, server_directory
from tests.support.standby import StandbyUnavailable, binaries


def start(major: int) -> tuple[str, Path]:
    """A new server, started; its URL (database ``postgres``) and directory.
    ``StandbyUnavailable`` if this machine has no binaries of ``major``."""
    bin_dir = binaries(major)
    base = server_directory(f"pg{major}-")
    data = base / "data"
    port = free_port()
    subprocess.run(
        [
            bin_dir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **as_server_user(),
    )
    with open(data / "postgresql.auto.conf", "a") as conf:
        conf.write(
            f"port = {port}\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{base}'\n"
            "fsync = off\n"
            "max_connections = 200\n"
        )
    subprocess.run(
        [bin_dir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-t", "60", "start"],
        check=True,
        capture_output=True,
        text=True,
        timeout=90,
        **as_server_user(),
    )
    return f"postgresql://postgres@/postgres?host={base}&port={port}", base


def stop(base: Path) -> None:
    data = base / "data"
    version = (data / "PG_VERSION").read_text().strip()
    subprocess.run(
        [binaries(int(version)) / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
        capture_output=True,
        text=True,
        timeout=90,
        **as_server_user(),
    )
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["start"] and len(sys.argv) == 3:
        try:
            url, directory = start(int(sys.argv[2]))
        except StandbyUnavailable as exc:
            sys.exit(str(exc))
        print(url, directory)
    elif sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        stop(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
