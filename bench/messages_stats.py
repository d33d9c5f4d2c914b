"""Benchmark: the statistics functions on a filled ``messages`` (issue 12).

Builds 10,000,000 messages (by default) over 24 monthly partitions, lets
ANALYZE do what autovacuum would, then times, median of several calls each:
``get_messages_stats()`` and ``get_database_stats()`` from the catalog's
estimates (the default) and with ``exact`` (a ``count(*)`` of every
partition, what both did as they landed), and the stats command's queries
(both, plus ``get_whatsapp_auth_stats()``). Prints how far the estimates
are from the counts.

    python -m bench.messages_stats [--rows 10000000] [--months 24] [--runs 5]

Runs on a database of its own on the server of ``DATABASE_URL``, else the
embedded one, dropped at the end (it takes a few GB while it runs). Target:
the default answers under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import statistics
import time

from bench.database import throwaway_database
from bench.messages_history import fill_month


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5, help="timed calls of each (exact: 3)")
    return parser.parse_args()


async def timed_ms(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def run(args: argparse.Namespace) -> None:
    import piccolo_conf
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from business.maintenance import database_stats, whatsapp_auth_stats
    from business.tables import Message

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    conn = await piccolo_conf.DB.get_new_connection()
    # The calls go through the pool, as an application's do (a connection
    # opened per call would cost more than the statistics).
    await piccolo_conf.DB.start_connection_pool(min_size=1, max_size=1)
    try:
        company = await conn.fetchval("INSERT INTO companies (name) VALUES ('Bench salon') RETURNING id")
        started = time.perf_counter()
        per_month = args.rows // args.months
        for months in range(-args.months + 1, 1):
            await fill_month(conn, company, months, per_month, 10_000)
        built = time.perf_counter() - started
        await conn.execute("ANALYZE")
        size = await conn.fetchval(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) "
            "FROM pg_partition_tree('messages')"
        )
        rows = per_month * args.months
        print(f"{rows:,} messages in {args.months} partitions ({size}) built in {built:.0f} s")

        async def command(exact: bool):
            await database_stats(exact)
            await Message.partition_stats(exact)
            await whatsapp_auth_stats()

        calls = {
            "get_messages_stats()": lambda exact: Message.partition_stats(exact),
            "get_database_stats()": lambda exact: database_stats(exact),
            "stats command's queries": command,
        }
        for label, call in calls.items():
            estimated = await timed_ms(lambda: call(False), args.runs)
            exact = await timed_ms(lambda: call(True), min(args.runs, 3))
            print(f"{label:24} estimated {estimated:8.1f} ms   exact (as landed) {exact:9.1f} ms   "
                  f"x{exact / estimated:,.0f}")
        estimated = {r["table_name"]: r["row_count"] for r in await database_stats(False)}
        counted = {r["table_name"]: r["row_count"] for r in await database_stats(True)}
        print(f"messages: estimated {estimated['messages']:,}, counted {counted['messages']:,} "
              f"({estimated['messages'] / counted['messages'] - 1:+.2%})")
    finally:
        await conn.close()
        await piccolo_conf.DB.close_connection_pool()
    print("target: estimated under 50 ms")


def main() -> None:
    args = parse_args()
    with throwaway_database("bench_stats"):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
