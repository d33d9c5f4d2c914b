"""PgBouncer (Debian's ``pgbouncer``) in transaction pooling mode in front
of the test server, on a free loopback port, with a pool of
``SERVER_CONNECTIONS`` server connections shared by every client: what one
client leaves in a session, the next one meets."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tests.support.processes import (
    as_server_user,
    executable,
    free_port,
    server_address,
    server_directory,
)

PGBOUNCER = executable("pgbouncer", Path("/usr/sbin/pgbouncer"))
SERVER_CONNECTIONS = 2


@dataclass
class PgBouncer:
    process: subprocess.Popen
    base: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{quote(database)}"

    def log(self) -> str:
        return (self.base / "pgbouncer.log").read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


async def start_pgbouncer(server_url: str, **settings: str) -> PgBouncer:
    """PgBouncer in front of ``server_url``'s server; ``settings`` are more
    lines of its [pgbouncer] section."""
    host, port, user = server_address(server_url)
    base = server_directory("pgbouncer-")
    listen = free_port()
    (base / "users.txt").write_text(f'"{user}" ""\n')
    (base / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {base}/users.txt
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
logfile = {base}/pgbouncer.log
pidfile = {base}/pgbouncer.pid
"""
        + "".join(f"{name} = {value}\n" for name, value in settings.items())
    )
    for name in ("users.txt", "pgbouncer.ini"):
        os.chmod(base / name, 0o644)
    process = subprocess.Popen(
        [PGBOUNCER, base / "pgbouncer.ini"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_server_user(),
    )
    bouncer = PgBouncer(process, base, listen)
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{bouncer.log()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", listen)
            writer.close()
            return bouncer
        except OSError:
            await asyncio.sleep(0.05)
    bouncer.stop()
    raise TimeoutError(f"pgbouncer does not listen on 127.0.0.1:{listen}")
