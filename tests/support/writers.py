"""Writers that keep a table busy while a migration runs, and time every
statement they send: how long an application's queries waited while the
schema changed (``bench.online_ddl``, ``bench.lock_timeout``,
``bench.day2_changes``, ``tests/platform/test_day2_paths.py``)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

import asyncpg

# A writer's round: the statements it sends, in order, as (sql, args).
Round = Callable[[random.Random], list[tuple[str, tuple]]]


class Writers:
    """``count`` connections, each sending ``round``'s statements over and
    over as fast as the server lets them; per writer, the longest single
    statement since ``reset()``, and what its statements returned (an
    ``INSERT ... RETURNING id``'s ids: what the application was told it
    stored). A statement that fails stops its writer, its error kept in
    ``errors``."""

    def __init__(self, url: str, count: int, round: Round, lock_waits: bool = False):
        self.url, self.count, self.round = url, count, round
        self.lock_waits = lock_waits
        self.lock_wait = 0.0
        self.longest = [0.0] * count
        # One generator per writer for the whole run: a writer started again
        # (``revive``) goes on with new values, not the ones it already stored.
        self.rngs = [random.Random(number) for number in range(count)]
        self.statements = 0
        self.returned: list = []
        self.errors: list[str] = []
        self._stop = asyncio.Event()

    async def __aenter__(self):
        self.connections = [await asyncpg.connect(self.url) for _ in range(self.count)]
        self.tasks = [asyncio.create_task(self._write(i)) for i in range(self.count)]
        self.sampler = None
        if self.lock_waits:
            self.sampler_connection = await asyncpg.connect(self.url)
            self.sampler = asyncio.create_task(self._sample_lock_waits())
        return self

    async def __aexit__(self, *exc):
        self._stop.set()
        await asyncio.gather(*self.tasks)
        if self.sampler is not None:
            await self.sampler
            await self.sampler_connection.close()
        for connection in self.connections:
            await connection.close()

    def revive(self) -> None:
        """Start again the writers a failed statement stopped."""
        for number, task in enumerate(self.tasks):
            if task.done():
                self.tasks[number] = asyncio.create_task(self._write(number))

    def reset(self) -> None:
        self.longest = [0.0] * self.count
        self.statements = 0
        self.lock_wait = 0.0

    @property
    def worst(self) -> float:
        """The longest any writer waited for one statement since ``reset()``."""
        return max(self.longest)

    async def _sample_lock_waits(self) -> None:
        """With ``lock_waits``: every 10 ms, how long any writer has been
        waiting for a lock (a table's, or a row's held by another
        transaction), by the server's clock (``pg_locks.waitstart``,
        PostgreSQL 14+); the longest since ``reset()`` is ``lock_wait``.
        Unlike ``worst``, it counts no time a writer lost to a busy machine
        (its process or the server's not scheduled), only time it was
        blocked."""
        pids = [c.get_server_pid() for c in self.connections]
        while not self._stop.is_set():
            waited = await self.sampler_connection.fetchval(
                "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - waitstart)), 0)"
                " FROM pg_locks WHERE NOT granted AND waitstart IS NOT NULL AND pid = ANY($1)",
                pids,
            )
            self.lock_wait = max(self.lock_wait, float(waited))
            await asyncio.sleep(0.01)

    async def _write(self, number: int) -> None:
        connection, rng = self.connections[number], self.rngs[number]
        while not self._stop.is_set():
            for sql, args in self.round(rng):
                started = time.perf_counter()
                try:
                    value = await connection.fetchval(sql, *args)
                except asyncpg.PostgresError as exc:
                    self.errors.append(f"writer {number}: {type(exc).__name__}: {exc} ({sql})")
                    return
                took = time.perf_counter() - started
                self.longest[number] = max(self.longest[number], took)
                self.statements += 1
                if value is not None:
                    self.returned.append(value)
