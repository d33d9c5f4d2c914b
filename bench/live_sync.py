"""Benchmark: a whole live sync (the fake ServiceTitan over loopback → the
API client → the cache) against the upsert alone on the same records.

The fake runs in a process of its own (``python -m servicetitan.fake``,
``--records jobs=N``, pages of ``--page`` records, its 60 requests a second
per tenant in force). Each round, on an emptied ``raw.st_jobs``, in an
order that alternates:

- **sync**: ``sync_feed(credential, "jobs", full=True)``, timed whole: every
  page fetched, parsed, checked, upserted with its feed position and the
  sync log's counts, one transaction a page;
- **upsert**: the same feed read page by page outside the clock, and only
  ``StJob.upsert`` of each page timed (the same records, the same
  transaction per page, no HTTP, no position).

Prints records/s of each, their medians over the rounds and the ratio
sync / upsert (target >= 0.8); the sync's distance from the API's own
ceiling (60 requests/s × the page size); and the peak of Python's memory
(tracemalloc) during a sync of the whole feed and of a fifth of it: pages
are streamed, so it must not grow with the number of records.

    .venv/bin/python -m bench.live_sync [--rows 100000] [--page 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta

from cryptography.fernet import Fernet

from bench.database import throwaway_database
from platform_db.secrets.encryption import KEYS_VARIABLE

TENANT = 1_000_001
# The fake's jobs are a minute apart from this date on (servicetitan/fake/feeds.py).
FEED_START = date(2024, 1, 1)


def start_fake(rows: int, page: int) -> tuple[subprocess.Popen, dict[str, str]]:
    """The fake ServiceTitan in a process of its own, and its environment."""
    process = subprocess.Popen(
        [sys.executable, "-m", "servicetitan.fake", "--tenants", str(TENANT),
         "--records", f"jobs={rows}", "--page-size", str(page)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    env = {}
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            env[name] = value
        if "SERVICETITAN_CLIENT_SECRET" in env:
            return process, env
    raise RuntimeError("the fake ServiceTitan did not start")


async def credential_for(env: dict[str, str]):
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential

    company = Company(name="Bench salon")
    await company.save()
    return await ServiceTitanCredential.register(
        company.id,
        "integration",
        env["SERVICETITAN_CLIENT_ID"],
        env["SERVICETITAN_CLIENT_SECRET"],
        tenant_id=TENANT,
    )


async def emptied(conn) -> None:
    await conn.execute("TRUNCATE raw.st_jobs")
    await conn.execute("DELETE FROM raw.sync_state")
    await conn.execute("CHECKPOINT")


async def whole_sync(credential, since: date | None = None) -> tuple[float, int]:
    from servicetitan.sync.feeds import sync_feed

    started = time.perf_counter()
    log = await sync_feed(credential, "jobs", full=since is None, since=since)
    return time.perf_counter() - started, log.records_processed


async def upsert_alone(credential, conn) -> tuple[float, int]:
    from servicetitan.api.client import ServiceTitanClient
    from servicetitan.api.feeds import FEEDS
    from servicetitan.cache.raw_tables import StJob

    elapsed, records = 0.0, 0
    async with ServiceTitanClient(credential) as client:
        async for page in client.export_pages(FEEDS["jobs"], None):
            started = time.perf_counter()
            async with conn.transaction():
                await StJob.upsert(TENANT, page.records, connection=conn)
            elapsed += time.perf_counter() - started
            records += len(page.records)
    return elapsed, records


async def peak_memory(credential, conn, since: date | None) -> tuple[int, int]:
    """Python's peak allocation (bytes) during a sync, and its records."""
    await emptied(conn)
    tracemalloc.start()
    try:
        _, records = await whole_sync(credential, since)
        return tracemalloc.get_traced_memory()[1], records
    finally:
        tracemalloc.stop()


async def bench(args) -> None:
    import piccolo_conf
    from piccolo.apps.migrations.commands.forwards import run_forwards

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    await piccolo_conf.DB.start_connection_pool()
    fake, env = start_fake(args.rows, args.page)
    os.environ.update(env)
    try:
        credential = await credential_for(env)
        conn = await piccolo_conf.DB.get_new_connection()
        paths = {
            "sync": lambda: whole_sync(credential),
            "upsert": lambda: upsert_alone(credential, conn),
        }
        rates: dict[str, list[float]] = {name: [] for name in paths}
        for round_ in range(args.rounds):
            order = list(paths.items())
            for name, run in order[::-1] if round_ % 2 else order:
                await emptied(conn)
                seconds, records = await run()
                assert records == args.rows, (name, records)
                rates[name].append(records / seconds)
                print(f"round {round_ + 1} {name:6}: {records / seconds:8,.0f} records/s "
                      f"({seconds:.1f} s)", flush=True)  # fmt: skip
        # a fifth of the feed: started at the date of its last fifth
        fifth = FEED_START + timedelta(minutes=args.rows - args.rows // 5)
        memory = [await peak_memory(credential, conn, since) for since in (fifth, None)]
        await conn.close()
    finally:
        fake.terminate()
        fake.wait()
        await piccolo_conf.DB.close_connection_pool()

    sync, upsert = (statistics.median(rates[name]) for name in paths)
    ceiling = 60 * args.page
    print(f"\n{args.rows:,} jobs, pages of {args.page}, {args.rounds} round(s), medians:")
    print(f"whole sync   {sync:8,.0f} records/s ({sync / args.page:.1f} pages/s)")
    print(f"upsert alone {upsert:8,.0f} records/s")
    print(f"ratio sync / upsert alone {sync / upsert:.2f} (target >= 0.80)")
    print(f"API ceiling 60 requests/s x {args.page} = {ceiling:,} records/s: "
          f"the sync runs at {sync / ceiling:.0%} of it")  # fmt: skip
    for peak, records in memory:
        print(f"peak Python memory syncing {records:,} records: {peak / 2**20:.1f} MiB")
    print(f"ratio of the peaks (whole / a fifth): {memory[1][0] / memory[0][0]:.2f} "
          "(flat: about 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # the throwaway database's credential: a key of this run
    os.environ.setdefault(KEYS_VARIABLE, Fernet.generate_key().decode())
    with throwaway_database("bench_live_sync"):
        asyncio.run(bench(args))


if __name__ == "__main__":
    main()
