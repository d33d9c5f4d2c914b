"""The sync queue's throughput: every tenant's incremental syncs through 1,
2 and 4 worker processes (``piccolo servicetitan worker``, as an operator
runs it) against the fake ServiceTitan over loopback, on a database of its
own. For each number of workers, after a first round (each feed read from
its beginning) has settled, over a window of time:

- syncs a minute (completed runs);
- the delay from due (the previous run's start plus the period) to started,
  p50 / p99, from the sync logs (the database's clock);
- CPU per sync: the worker processes' user + system time over the window,
  divided by the syncs (the fake and PostgreSQL not counted);
- the queue's own overhead per job is ``bench.queue_overhead``.

    python -m bench.sync_workers [--tenants 500] [--every 30] [--window 60] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from cryptography.fernet import Fernet

from bench.database import throwaway_database
from servicetitan.fake import FakeServiceTitan
from tests.servicetitan.worker.workers import Workers, add_tenants
from tests.support.databases import migrate_all

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


async def runs(url: str, since: float) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(
            """
            SELECT l.servicetitan_credential_id AS credential, l.status,
                   coalesce(l.error_message LIKE '%told to stop%', false) AS stopped,
                   extract(epoch FROM l.started_at)::float8 AS started
            FROM servicetitan_sync_logs l
            WHERE extract(epoch FROM l.started_at) >= $1 - 3600
            ORDER BY l.started_at
            """,
            since,
        )
    finally:
        await connection.close()


async def db_now(url: str) -> float:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(
            "SELECT extract(epoch FROM now() AT TIME ZONE 'UTC')::float8"
        )
    finally:
        await connection.close()


async def measure(url: str, fake, workers: int, every: float, window: float, folder: Path):
    env = {
        "SERVICETITAN_SYNC_FEEDS": "jobs",
        "SERVICETITAN_SYNC_EVERY": str(every),
        "SERVICETITAN_CAUGHT_UP_REST": "0",
        "SERVICETITAN_SCHEDULE_TICK": "1",
    }
    started = Workers(url, fake.env, folder)
    try:
        processes = [started.start(concurrency=4, **env) for _ in range(workers)]
        await asyncio.sleep(every * 1.5)  # the first round, and the queue settling
        begin = await db_now(url)
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        await asyncio.sleep(window)
        end = await db_now(url)
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
    finally:
        started.stop_all()
    done = [r for r in await runs(url, begin) if begin <= r["started"] < end]
    completed = [r for r in done if r["status"] == "completed"]
    every_run = await runs(url, begin)
    previous, delays = {}, []
    for run in every_run:
        before = previous.get(run["credential"])
        if before is not None and begin <= run["started"] < end:
            delays.append(max(0.0, float(run["started"] - before - every)))
        previous[run["credential"]] = run["started"]
    delays.sort()
    return {
        "syncs_per_minute": len(completed) / (end - begin) * 60,
        "p50": statistics.median(delays) if delays else float("nan"),
        "p99": delays[int(len(delays) * 0.99)] if delays else float("nan"),
        "cpu_ms": cpu / len(completed) * 1000 if completed else float("nan"),
        # runs the workers' SIGTERM at the end of the window stopped are not failures
        "failed": sum(1 for r in done if r["status"] == "failed" and not r["stopped"]),
    }


async def bench(args) -> None:
    # a throwaway key for the throwaway database's credentials (the workers inherit it)
    os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    tenants = list(range(8_000_001, 8_000_001 + args.tenants))
    fake = FakeServiceTitan(tenants=tenants, records={"jobs": 40}, page_size=50)
    with throwaway_database("bench_workers") as template, fake.serving():
        migrate_all(template)
        await add_tenants(template, fake, tenants)
        print(
            f"{args.tenants} tenants, their jobs feed every {args.every:g} s, each worker "
            f"4 syncs at once; {args.window:g} s measured after the first round"
        )
        print("workers  syncs/min  due->started p50  p99     CPU/sync  failed")
        for workers in args.workers:
            with tempfile.TemporaryDirectory() as folder:
                figures = await measure(
                    template, fake, workers, args.every, args.window, Path(folder)
                )
            print(
                f"{workers:7d}  {figures['syncs_per_minute']:9.0f}  {figures['p50']:15.2f} s "
                f"{figures['p99']:6.2f} s  {figures['cpu_ms']:6.1f} ms  {figures['failed']:6d}"
            )
            # the next number of workers starts from the same, settled state
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
