"""The sync queue's own cost per job (procrastinate on this database),
beside a bare ``SELECT 1`` round trip on the same kind of connection, in the
same process: a job deferred (one ``INSERT`` through
``procrastinate_defer_jobs_v1``, with its queueing lock), taken by a worker
(``procrastinate_fetch_job_v2``: the lock check, ``FOR UPDATE SKIP LOCKED``)
and finished (``procrastinate_finish_job_v1``), for a task that does
nothing. Beside it, a one-row ``INSERT`` committed on its own (what a
commit costs this server, WAL flush included: each step of a job is one). Medians of several
rounds; the ratios are what to compare.

    python -m bench.queue_overhead [--jobs 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.database import throwaway_database
from tests.support.databases import migrate_all


async def select_one(connection, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await (await connection.execute("SELECT 1")).fetchone()
    return (time.perf_counter() - started) / count


async def insert_committed(connection, count: int) -> float:
    await connection.execute("CREATE TABLE bench_commit (n int)")
    started = time.perf_counter()
    for number in range(count):
        await connection.execute("INSERT INTO bench_commit VALUES (%s)", (number,))
    elapsed = (time.perf_counter() - started) / count
    await connection.execute("DROP TABLE bench_commit")
    return elapsed


async def round_trip(jobs: int) -> tuple[float, float, float, float]:
    """Seconds per job: deferring, running (fetch + finish), SELECT 1 and a
    committed INSERT."""
    from procrastinate.worker import Worker

    from servicetitan.worker.queue import QUEUE, app

    task = app.tasks.get("bench.nothing") or app.task(name="bench.nothing", queue=QUEUE)(_nothing)
    async with app.open_async():
        async with app.connector.pool.connection() as connection:
            await connection.set_autocommit(True)
            baseline = await select_one(connection, jobs)
            commit = await insert_committed(connection, jobs)
        started = time.perf_counter()
        for number in range(jobs):
            await task.configure(
                lock=f"bench:{number % 50}", queueing_lock=f"bench:{number}"
            ).defer_async()
        deferred = (time.perf_counter() - started) / jobs
        worker = Worker(
            app,
            queues=[QUEUE],
            concurrency=1,
            wait=False,
            listen_notify=False,
            install_signal_handlers=False,
            delete_jobs="successful",
        )
        started = time.perf_counter()
        await worker.run()
        ran = (time.perf_counter() - started) / jobs
    return deferred, ran, baseline, commit


async def _nothing() -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with throwaway_database("bench_queue") as url:
        migrate_all(url)
        rounds = [asyncio.run(round_trip(args.jobs)) for _ in range(args.rounds)]
    deferred, ran, baseline, commit = (statistics.median(r[i] for r in rounds) for i in range(4))
    print(f"{args.jobs} no-op jobs a round, {args.rounds} rounds, medians (ms per job):")
    print(f"  SELECT 1 round trip        {baseline * 1000:7.3f}   1.0x")
    print(f"  INSERT, committed          {commit * 1000:7.3f}  {commit / baseline:5.1f}x")
    print(f"  defer (queueing lock)      {deferred * 1000:7.3f}  {deferred / baseline:5.1f}x")
    print(f"  fetch + run + finish       {ran * 1000:7.3f}  {ran / baseline:5.1f}x")
    print(
        f"  the queue, per job         {(deferred + ran) * 1000:7.3f}  "
        f"{(deferred + ran) / baseline:5.1f}x"
    )


if __name__ == "__main__":
    main()
