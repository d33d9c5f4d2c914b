"""Benchmark: how long readers and writers wait while retention drops a month
(issue 12).

A history of 14 months (10,000 messages a month by default), the oldest past
a retention of 12. pgbench (PostgreSQL's own load client) runs 8 writers
(single-message INSERTs into this month) and 4 readers
(``get_recent_messages``), rate-limited, logging every transaction; with
``--report-ms``, one more client reads messages for that long twice a
second (a report or an export holding its lock), and each drop starts while
one is reading. Meanwhile, with seconds of quiet in between:

1. a quiet window, nothing else running (the machine's own noise);
2. the landed ``maintain_messages_partitions(5, 12)`` (from the
   ``partition_lock_order`` migration, created beside the current functions)
   drops the oldest month;
3. the month is built again, then the current maintenance
   (``Message.partition_plan`` + ``apply_partition_plan``) drops it.

For each window (2 s from its start) it prints the longest and the 99th
percentile latency of writers and readers over the transactions running in
it, measured by pgbench from each transaction's scheduled start (so a
client held up also counts in the transactions it started late).

    python -m bench.partition_retention [--per-month 10000] [--writers-rate 400]
        [--readers-rate 400] [--report-ms 0]

Runs on a database of its own on the server of ``DATABASE_URL``, else the
embedded one, dropped at the end. Target: the current drop's longest wait
50 ms or less.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import time

from bench.database import throwaway_database
from bench.messages_history import fill_month, landed
from bench.pgbench import Load, Transaction

WINDOW = 2.0
RETENTION = 12
HISTORY = range(-RETENTION - 1, 1)  # the oldest month is past retention


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-month", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=1_000)
    parser.add_argument("--writers-rate", type=int, default=400, help="INSERTs/s, 8 clients")
    parser.add_argument("--readers-rate", type=int, default=400, help="calls/s, 4 clients")
    parser.add_argument("--report-ms", type=int, default=0, help="0: no report client")
    return parser.parse_args()


def scripts(company, args) -> dict[str, tuple[str, int, int]]:
    """name: (script, clients, rate)"""
    conversation = f"\\set n random(0, {args.conversations - 1})\n"
    phone = "'7900' || lpad(:n::text, 7, '0')"
    found = {
        "writers": (
            conversation + "INSERT INTO messages (company_id, phone, direction, created_at) "
            f"VALUES ('{company}', {phone}, 'incoming', now());\n",
            8,
            args.writers_rate,
        ),
        "readers": (
            conversation
            + f"SELECT count(*) FROM get_recent_messages({phone}, '{company}', 50);\n",
            4,
            args.readers_rate,
        ),
    }
    if args.report_ms:
        found["report"] = (
            "BEGIN;\nSELECT count(*) FROM (SELECT 1 FROM messages LIMIT 1) AS one;\n"
            f"SELECT pg_sleep({args.report_ms / 1000});\nCOMMIT;\n",
            1,
            2,
        )
    return found


async def report_under_way(conn, args) -> None:
    """With a report client: wait until a report is reading, so that each
    drop meets one (the case where a lock request has to wait)."""
    while args.report_ms and not await conn.fetchval(
        "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
        " AND datname = current_database())"
    ):
        await asyncio.sleep(0.005)


def waits(transactions: list[Transaction], start: float) -> tuple[float, float, int]:
    """Longest and 99th percentile latency (ms) of the transactions
    running during [start, start + WINDOW], and how many."""
    inside = sorted(
        t.latency_ms for t in transactions
        if t.started <= start + WINDOW and t.started + t.latency_ms / 1000 >= start
    )  # fmt: skip
    if not inside:
        return 0.0, 0.0, 0
    return inside[-1], inside[min(len(inside) - 1, int(0.99 * len(inside)))], len(inside)


async def run(args: argparse.Namespace, url: str) -> None:
    import piccolo_conf
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from business.piccolo_migrations.business_2026_11_22t05_26_00_partition_lock_order import (
        MAINTAIN_PARTITIONS,
    )
    from business.tables import Message

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    await piccolo_conf.DB.start_connection_pool(min_size=1, max_size=2)
    conn = await piccolo_conf.DB.get_new_connection()
    try:
        await conn.execute(landed(MAINTAIN_PARTITIONS, "maintain_messages_partitions"))
        company = await conn.fetchval("INSERT INTO companies (name) VALUES ('Bench salon') RETURNING id")
        for months in HISTORY:
            await fill_month(conn, company, months, args.per_month, args.conversations)
        await conn.execute("VACUUM ANALYZE messages")

        timeline: dict[str, tuple[float, float]] = {}
        workload = scripts(company, args)
        loads = {
            name: Load(url, name, script, clients, rate, seconds=44)
            for name, (script, clients, rate) in workload.items()
        }
        await asyncio.sleep(10)  # connected and warm

        timeline["quiet"] = (time.time(), 0.0)
        await asyncio.sleep(WINDOW + 2)

        await report_under_way(conn, args)
        started = time.time()
        dropped = await conn.fetch("SELECT * FROM maintain_messages_partitions_landed(5, $1)", RETENTION)
        timeline["landed drop"] = (started, time.time() - started)
        assert [r["action"] for r in dropped] == ["dropped"], dropped

        await asyncio.sleep(WINDOW + 1)
        await fill_month(conn, company, HISTORY[0], args.per_month, args.conversations)
        await asyncio.sleep(6)

        await report_under_way(conn, args)
        started = time.time()
        plan = await Message.partition_plan(5, RETENTION)
        done = await Message.apply_partition_plan(plan)
        timeline["current drop"] = (started, time.time() - started)
        assert [d["action"] for d in done] == ["dropped"], done

        transactions = {name: load.transactions() for name, load in loads.items()}
    finally:
        await conn.close()
        await piccolo_conf.DB.close_connection_pool()

    report = f", a {args.report_ms} ms report twice a second" if args.report_ms else ""
    print(f"\n8 writers at {args.writers_rate}/s, 4 readers at {args.readers_rate}/s{report}; "
          f"{args.per_month:,} messages a month, the dropped month included")
    print(f"{'window':13} {'took':>8}  {'writers max / p99':>22}  {'readers max / p99':>22}")
    for window, (start, took) in timeline.items():
        cells = []
        for name in ("writers", "readers"):
            longest, p99, _count = waits(transactions[name], start)
            cells.append(f"{longest:8.1f} / {p99:6.1f} ms")
        print(f"{window:13} {took * 1000:6.0f} ms  {cells[0]:>22}  {cells[1]:>22}")
    print("target: the current drop's longest wait <= 50 ms")


def main() -> None:
    args = parse_args()
    with throwaway_database("bench_retention") as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
