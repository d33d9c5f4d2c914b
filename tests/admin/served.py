"""``piccolo admin serve`` run as a user runs it, on a free loopback port
against the test database, its log captured to a file."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from platform_db.database.engine import PROJECT_ROOT

PICCOLO = str(Path(sys.executable).parent / "piccolo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 60):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"piccolo admin serve exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Served:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def served(tmp_path: Path, *options: str, env: dict | None = None):
    """The documented command (tests/conftest.py put DATABASE_URL and the
    keys in the environment)."""
    port = free_port()
    log = tmp_path / f"admin-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PICCOLO, "admin", "serve", f"--port={port}", *options],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PLATFORM_DB_QUIET": "1", **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            await _wait_until_listening(port, process)
            yield Served(f"http://127.0.0.1:{port}", log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
