"""Benchmark: ``get_recent_messages`` with 12 and with 60 months of history
at the same density (issue 12).

Builds two databases: one with 12 months of history (this one included;
with the 5 months ahead and DEFAULT, 18 partitions), one with 60 (66
partitions), 10,000 messages a month over 1,000 conversations by default.
Each also gets the function as it landed (from the ``messages_partitioned``
migration) beside the current one. Then, on one held connection per
database, it calls each function on both histories for the same random
conversation in a random order, round after round, so that the machine's
load falls on both alike (the current function first, then the landed one);
then ``pgbench -c 4`` calls/s of
each (alternating, median of 3 short runs); then, through ``auto_explain``
(the plans sent to this client), how many queries one call runs and how
many partitions they read.

    python -m bench.recent_messages [--per-month 10000] [--conversations 1000]
        [--calls 3000] [--limit 50] [--pgbench-seconds 3]

The databases are created on the server of ``DATABASE_URL``, else the
embedded one, and dropped at the end. Targets: for the current function,
p99 with 60 months within 1.2 x the p99 with 12, and under 1 ms for both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import random
import re
import statistics
import time

import asyncpg

from bench.database import throwaway_database
from bench.messages_history import fill_month, landed, phone
from bench.pgbench import calls_per_second

WARM_UP_CALLS = 300
HISTORIES = {"12 months": range(-11, 1), "60 months": range(-59, 1)}
FUNCTIONS = {
    "landed": "public.get_recent_messages_landed",
    "current": "public.get_recent_messages",
}
PARTITION = re.compile(r" on (messages_(?:\d{4}_\d{2}|default))\b")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-month", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=3_000, help="timed calls of each")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--pgbench-seconds", type=int, default=3)
    return parser.parse_args()


async def build(url: str, months: range, args) -> tuple[asyncpg.Connection, object]:
    """Migrate the database at ``url`` and fill ``months``; a connection to
    it and the company whose messages they are."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from business.piccolo_migrations.business_2026_11_22t05_26_00_partition_lock_order import (
        previous_definition,
    )
    from tests.support.databases import connect, piccolo_on

    with piccolo_on(url), contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    conn = await connect(url)
    await conn.execute(landed(previous_definition("get_recent_messages"), "get_recent_messages"))
    company = await conn.fetchval("INSERT INTO companies (name) VALUES ('Bench salon') RETURNING id")
    for month in months:
        await fill_month(conn, company, month, args.per_month, args.conversations)
    await conn.execute("VACUUM ANALYZE")
    return conn, company


async def latencies(held: dict, args) -> dict[tuple[str, str], list[float]]:
    """(history, function): the latency of each call, in ms. Each function
    is timed in a loop of its own (the landed one, reading every partition,
    would otherwise push the current one's pages out of the buffer cache),
    calling it on both histories for the same conversation in a random
    order."""
    rng = random.Random(12)
    timed: dict[tuple[str, str], list[float]] = {}
    for name, fn in reversed(FUNCTIONS.items()):
        sql = f"SELECT * FROM {fn}($1, $2, $3)"
        histories = list(held)
        for history in histories:
            timed[(history, name)] = []
        for round_ in range(WARM_UP_CALLS + args.calls):
            conversation = phone(rng.randrange(args.conversations))
            rng.shuffle(histories)
            for history in histories:
                conn, company = held[history]
                started = time.perf_counter()
                await conn.fetch(sql, conversation, company, args.limit)
                if round_ >= WARM_UP_CALLS:  # plans and caches warm before
                    timed[(history, name)].append((time.perf_counter() - started) * 1000)
    return timed


def throughput(urls: dict, held: dict, args) -> dict[tuple[str, str], float]:
    """(history, function): pgbench -c 4 calls/s, median of 3 alternating runs."""
    runs: dict[tuple[str, str], list[float]] = {}
    for _ in range(3):
        for history, url in urls.items():
            company = held[history][1]
            for name, fn in FUNCTIONS.items():
                script = (
                    f"\\set n random(0, {args.conversations - 1})\n"
                    f"SELECT count(*) FROM {fn}('7900' || lpad(:n::text, 7, '0'), "
                    f"'{company}', {args.limit});\n"
                )
                runs.setdefault((history, name), []).append(
                    calls_per_second(url, script, clients=4, seconds=args.pgbench_seconds)
                )
    return {call: statistics.median(values) for call, values in runs.items()}


async def partitions_read(conn, company, args) -> dict[str, tuple[int, int]]:
    """Per function: (queries run, partitions read) in one call, from the
    plans auto_explain sends this client (EXPLAIN ANALYZE of every statement
    the function runs; pruned partitions are not in them)."""
    plans: list[str] = []
    conn.add_log_listener(lambda _conn, message: plans.append(message.message))
    await conn.execute(
        "LOAD 'auto_explain';"
        "SET auto_explain.log_min_duration = 0;"
        "SET auto_explain.log_analyze = on;"
        "SET auto_explain.log_nested_statements = on;"
        "SET auto_explain.log_level = notice;"
    )
    found = {}
    try:
        for name, fn in FUNCTIONS.items():
            plans.clear()
            await conn.fetch(f"SELECT * FROM {fn}($1, $2, $3)", phone(7), company, args.limit)
            queries = [plan for plan in plans if "FROM public.messages m" in plan]
            found[name] = (len(queries), len({p for q in queries for p in PARTITION.findall(q)}))
    finally:
        await conn.execute("SET auto_explain.log_min_duration = -1")
    return found


async def run(args: argparse.Namespace, urls: dict[str, str]) -> None:
    held = {}
    for history, url in urls.items():
        started = time.perf_counter()
        held[history] = await build(url, HISTORIES[history], args)
        partitions = await held[history][0].fetchval(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.messages'::regclass"
        )
        print(f"{history}: {partitions} partitions, built in {time.perf_counter() - started:.0f} s")
    try:
        timed = await latencies(held, args)
        rates = throughput(urls, held, args)
        read = {}
        for history, (conn, company) in held.items():
            try:
                read[history] = await partitions_read(conn, company, args)
            except asyncpg.PostgresError as exc:  # no auto_explain: say so, keep the rest
                print(f"(no EXPLAIN evidence: {exc})")
                read[history] = {name: (0, 0) for name in FUNCTIONS}
    finally:
        for conn, _company in held.values():
            await conn.close()

    print(f"\n{args.per_month:,} messages a month over {args.conversations:,} conversations, "
          f"limit {args.limit}, {args.calls:,} calls of each on a held connection, interleaved")
    cuts = {call: statistics.quantiles(values, n=100) for call, values in timed.items()}
    for history in urls:
        for name in FUNCTIONS:
            q = cuts[(history, name)]
            queries, partitions = read[history][name]
            print(f"{history:10} {name:8} p50 {q[49]:.3f} ms  p99 {q[98]:.3f} ms  "
                  f"pgbench -c 4 {rates[(history, name)]:7,.0f} calls/s  one call: "
                  f"{queries} quer{'y' if queries == 1 else 'ies'}, {partitions} partitions read")
    short, long = urls
    for name in FUNCTIONS:
        p99 = cuts[(long, name)][98] / cuts[(short, name)][98]
        p50 = cuts[(long, name)][49] / cuts[(short, name)][49]
        rate = rates[(long, name)] / rates[(short, name)]
        print(f"{name:8} 60 / 12 months: p99 x{p99:.2f}, p50 x{p50:.2f}, calls/s x{rate:.2f}")
    print("targets (current): p99 60 / 12 months <= 1.20, p99 < 1 ms for both")


def main() -> None:
    args = parse_args()
    with throwaway_database("bench_recent_12") as short, throwaway_database("bench_recent_60") as long:
        asyncio.run(run(args, {"12 months": short, "60 months": long}))


if __name__ == "__main__":
    main()
