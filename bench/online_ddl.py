"""Online DDL under write load (issue 11): on a table of 1,000,000 rows with
4 writers inserting and updating, an index, a CHECK and a FOREIGN KEY are
added in their plain form and through the helpers of
``platform_db.migrations.steps`` (``ConcurrentIndex``, ``online_constraint``),
each run as a migration by the project's runner. Printed side by side: the
longest wait any writer saw while each ran, and how long it took.

    python -m bench.online_ddl --rows 1000000 --writers 4 --runs 3

Runs on a database of its own (``bench_online_<random>``) on the server of
``DATABASE_URL``, else the embedded one, and drops it at the end. Medians of
``--runs``; the machine is shared, so compare the two forms of one run, not
runs of different days. Target: every writer's longest wait under 200 ms
with the helpers.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from bench.arguments import under_load

TABLE = "public.bench_accounts"
OWNERS = "public.bench_owners"
SETTLE = 0.3  # seconds of writing before and after each change


def parse_args() -> argparse.Namespace:
    return under_load(__doc__)


def accounts_round(rows: int):
    """A writer's round on the bench table: insert a row, update a random one."""

    def round(rng: random.Random) -> list[tuple[str, tuple]]:
        return [
            (
                f"INSERT INTO {TABLE} (owner_id, amount, note) VALUES ($1, $2, 'new')",
                (rng.randint(1, 1000), rng.randint(0, 10_000)),
            ),
            (f"UPDATE {TABLE} SET amount = amount + 1 WHERE id = $1", (rng.randint(1, rows),)),
        ]

    return round


def plain(forwards: str, backwards: str):
    from platform_db.migrations.steps import SqlStep

    return [SqlStep(forwards, backwards)], True


def forms():
    """(label, steps, in a transaction) of each change, plain then online."""
    from platform_db.migrations.online import ConcurrentIndex, online_constraint

    check = "CHECK (amount >= 0)"
    fk = f"FOREIGN KEY (owner_id) REFERENCES {OWNERS} (id)"
    return [
        (
            "CREATE INDEX",
            *plain(
                f"CREATE INDEX bench_amount_idx ON {TABLE} (amount)",
                "DROP INDEX public.bench_amount_idx",
            ),
        ),
        ("ConcurrentIndex", [ConcurrentIndex("bench_amount_idx", TABLE, "(amount)")], False),
        (
            "ADD CONSTRAINT CHECK",
            *plain(
                f"ALTER TABLE {TABLE} ADD CONSTRAINT bench_amount_check {check}",
                f"ALTER TABLE {TABLE} DROP CONSTRAINT bench_amount_check",
            ),
        ),
        (
            "online_constraint CHECK",
            list(online_constraint(TABLE, "bench_amount_check", check)),
            False,
        ),
        (
            "ADD FOREIGN KEY",
            *plain(
                f"ALTER TABLE {TABLE} ADD CONSTRAINT bench_owner_fk {fk}",
                f"ALTER TABLE {TABLE} DROP CONSTRAINT bench_owner_fk",
            ),
        ),
        (
            "online_constraint FOREIGN KEY",
            list(online_constraint(TABLE, "bench_owner_fk", fk)),
            False,
        ),
    ]


async def migrate(steps, transaction: bool, backwards: bool = False) -> None:
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    from platform_db.migrations.steps import add_sql_steps

    manager = MigrationManager(
        migration_id="bench", app_name="bench", wrap_in_transaction=transaction
    )
    add_sql_steps(manager, *steps)
    await manager.run(backwards=backwards)


async def fill(url: str, rows: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"""
            CREATE TABLE {OWNERS} (id integer PRIMARY KEY);
            INSERT INTO {OWNERS} SELECT generate_series(1, 1000);
            CREATE TABLE {TABLE} (
                id bigserial PRIMARY KEY,
                owner_id integer NOT NULL,
                amount integer NOT NULL,
                note text,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            INSERT INTO {TABLE} (owner_id, amount, note)
            SELECT 1 + i % 1000, i % 10000, 'row ' || i FROM generate_series(1, {rows}) i;
            """)
        await connection.execute(f"VACUUM ANALYZE {TABLE}")
    finally:
        await connection.close()


async def run(args: argparse.Namespace, url: str) -> None:
    import contextlib
    import io

    import piccolo_conf  # noqa: F401  (the engine the helpers run on)

    started = time.perf_counter()
    await fill(url, args.rows)
    print(
        f"{args.rows:,} rows in {time.perf_counter() - started:.1f}s; "
        f"{args.writers} writers, {args.runs} run(s)"
    )
    waits: dict[str, list[float]] = {"(no change: writers alone)": []}
    took: dict[str, list[float]] = {}
    from tests.support.writers import Writers

    async with Writers(url, args.writers, accounts_round(args.rows)) as writers:
        for _ in range(args.runs):
            await asyncio.sleep(SETTLE)
            writers.reset()
            await asyncio.sleep(1.0)
            waits["(no change: writers alone)"].append(max(writers.longest))
            for label, steps, transaction in forms():
                await asyncio.sleep(SETTLE)
                writers.reset()
                began = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):  # Piccolo's progress line
                    await migrate(steps, transaction)
                took.setdefault(label, []).append(time.perf_counter() - began)
                await asyncio.sleep(SETTLE)
                waits.setdefault(label, []).append(max(writers.longest))
                with contextlib.redirect_stdout(io.StringIO()):
                    await migrate(steps, transaction, backwards=True)
    print(f"\n{'change':34} {'longest writer wait':>20} {'change took':>12}")
    for label, values in waits.items():
        ms = statistics.median(values) * 1000
        duration = f"{statistics.median(took[label]):.2f}s" if label in took else ""
        print(f"{label:34} {ms:>17,.0f} ms {duration:>12}")
    print()
    labels = [label for label, _, _ in forms()]
    for plain_label, online_label in zip(labels[::2], labels[1::2]):
        ratio = statistics.median(waits[plain_label]) / statistics.median(waits[online_label])
        print(f"{plain_label} makes writers wait {ratio:,.0f}x longer than {online_label}")


def main() -> None:
    args = parse_args()
    from bench.database import throwaway_database

    with throwaway_database("bench_online") as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
