"""Messages benchmark (issue 4): inserts through ``Message.insert_bulk`` and
through a bare binary COPY in the same run, then ``get_recent_messages``
latency on the filled table.

    python -m bench.business_messages --rows 1000000

Runs on a database of its own (``bench_business_<random>``) on the server of
``DATABASE_URL``, else the embedded one, and drops it at the end. Rows are
spread over the six partitions the migration makes (this month and five
ahead), across 5 companies x 2,000 phones. Building the input is not timed;
each batch's insert is. Targets: API >= 0.7 x COPY rows/s; p99 < 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone

COMPANIES = 5
PHONES_PER_COMPANY = 2_000
MONTHS = 6
WARM_UP_CALLS = 200
RECENT_SQL = "SELECT * FROM public.get_recent_messages($1, $2, $3)"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="messages per insert path")
    parser.add_argument("--batch", type=int, default=50_000, help="messages per insert call")
    parser.add_argument("--calls", type=int, default=2_000, help="get_recent_messages calls")
    parser.add_argument("--seed", type=int, default=4)
    return parser.parse_args()


class Workload:
    """The same messages for both paths: dicts for the API, tuples for COPY."""

    def __init__(self, seed: int, companies: list[uuid.UUID]):
        self.rng = random.Random(seed)
        self.conversations = [
            (company, f"79{self.rng.randrange(10**9):09d}")
            for company in companies
            for _ in range(PHONES_PER_COMPANY)
        ]
        now = datetime.now(timezone.utc)
        self.start = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
        self.span = (self._months_later(MONTHS) - self.start).total_seconds()

    def _months_later(self, months: int) -> datetime:
        index = self.start.year * 12 + self.start.month - 1 + months
        return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)

    def dicts(self, count: int) -> list[dict]:
        rng, rows = self.rng, []
        for _ in range(count):
            company, phone = rng.choice(self.conversations)
            rows.append(
                {
                    "company_id": company,
                    "phone": phone,
                    "direction": "incoming" if rng.random() < 0.5 else "outgoing",
                    "status": "delivered",
                    "content": "Hello! Can I book a haircut for tomorrow at 15:00?",
                    "whatsapp_message_id": f"3EB0{rng.getrandbits(64):016X}",
                    "created_at": self.start + timedelta(seconds=rng.random() * self.span),
                }
            )
        return rows


def as_records(rows: list[dict]) -> list[tuple]:
    """What a caller of bare COPY would have to have built already."""
    return [
        (r["company_id"], r["phone"], r["direction"], "text", r["status"], r["content"],
         r["whatsapp_message_id"], "{}", r["created_at"])
        for r in rows
    ]  # fmt: skip


async def timed_inserts(label, total, batch, make_batch, insert) -> float:
    elapsed = 0.0
    for done in range(0, total, batch):
        rows = make_batch(min(batch, total - done))
        started = time.perf_counter()
        await insert(rows)
        elapsed += time.perf_counter() - started
    rate = total / elapsed
    print(f"{label:<28} {total:>10,} rows in {elapsed:7.2f} s = {rate:>9,.0f} rows/s")
    return rate


async def run(args: argparse.Namespace) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    import piccolo_conf
    from business.message_rows import COLUMNS
    from business.tables import Company, Message
    from platform_db.database.connection import connection

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    await piccolo_conf.DB.start_connection_pool(min_size=2, max_size=2)
    try:
        companies = []
        for index in range(COMPANIES):
            company = Company(name=f"Bench salon {index}")
            await company.save()
            companies.append(company.id)

        async def reset() -> None:
            async with connection(Message) as conn:
                await conn.execute("TRUNCATE messages; CHECKPOINT;")

        async def bare_copy(records) -> None:
            async with connection(Message) as conn:
                await conn.copy_records_to_table(
                    "messages", schema_name="public", columns=list(COLUMNS), records=records
                )

        # Untimed: the first COPY into each partition loads catalog caches.
        warm = Workload(args.seed + 1, companies)
        await Message.insert_bulk(warm.dicts(5_000))
        await bare_copy(as_records(warm.dicts(5_000)))
        await reset()

        api = await timed_inserts(
            "Message.insert_bulk (dicts)",
            args.rows,
            args.batch,
            Workload(args.seed, companies).dicts,
            Message.insert_bulk,
        )
        await reset()
        workload = Workload(args.seed, companies)
        copy = await timed_inserts(
            "bare binary COPY (tuples)",
            args.rows,
            args.batch,
            lambda n: as_records(workload.dicts(n)),
            bare_copy,
        )
        print(f"API / COPY = {api / copy:.2f} (target >= 0.70)")

        async with connection(Message) as conn:
            await conn.execute("VACUUM ANALYZE messages")
        rng = random.Random(args.seed)

        async def through_api(company, phone) -> None:
            await Message.recent(phone, company, 50)

        async with connection(Message) as held:

            async def on_held_connection(company, phone) -> None:
                await held.fetch(RECENT_SQL, phone, company, 50)

            for label, call in [
                ("Message.recent (pool acquire + release per call)", through_api),
                ("get_recent_messages on one held connection", on_held_connection),
            ]:
                for _ in range(WARM_UP_CALLS):  # plan cache, buffer cache
                    await call(*rng.choice(workload.conversations))
                latencies = []
                for _ in range(args.calls):
                    company, phone = rng.choice(workload.conversations)
                    started = time.perf_counter()
                    await call(company, phone)
                    latencies.append((time.perf_counter() - started) * 1000)
                cuts = statistics.quantiles(latencies, n=100)
                print(
                    f"{label}, x{args.calls}, limit 50: "
                    f"p50 {cuts[49]:.3f} ms, p99 {cuts[98]:.3f} ms (target p99 < 2 ms)"
                )
    finally:
        await piccolo_conf.DB.close_connection_pool()


def main() -> None:
    args = parse_args()
    from bench.database import throwaway_database

    with throwaway_database("bench_business"):
        asyncio.run(run(args))

if __name__ == "__main__":
    main()
