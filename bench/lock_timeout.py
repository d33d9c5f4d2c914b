"""Writers behind a waiting ALTER (issue 23 item 3): while a reader holds a
table for ``--hold`` seconds (a report, a long transaction), a migration's
``ALTER TABLE ... ADD COLUMN`` waits for its ACCESS EXCLUSIVE lock, and every
writer of the table queues behind that waiting request. How long they stall
is the migration's ``lock_timeout``: the ALTER gives up after it, the
writers go on, and the runner tries again after a jittered, growing pause
until the reader has gone.

Each ``lock_timeout`` is run as a migration by the project's runner (Piccolo's
``MigrationManager.run``, as ``piccolo migrations forwards`` runs it) with 20
attempts, against 4 writers inserting and updating; printed: the longest
wait any writer saw while the migration ran, how long the migration took,
how many attempts it made, beside the writers alone.

    python -m bench.lock_timeout --rows 100000 --hold 3 --runs 5

Runs on a database of its own on the server of ``DATABASE_URL``, else the
embedded one. Medians of ``--runs``; the machine is shared, so compare the
lines of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import statistics
import time

from bench.online_ddl import TABLE, accounts_round, fill
from tests.support.writers import Writers

SETTINGS = ("5s", "1s", "500ms", "200ms", "100ms", "50ms")
SETTLE = 0.3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--hold", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


async def add_column(backwards: bool = False) -> None:
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    from platform_db.migrations.steps import SqlStep, add_sql_steps

    manager = MigrationManager(migration_id="bench", app_name="bench")
    add_sql_steps(
        manager,
        SqlStep(
            f"ALTER TABLE {TABLE} ADD COLUMN bench_flag boolean",
            f"ALTER TABLE {TABLE} DROP COLUMN bench_flag",
        ),
    )
    with contextlib.redirect_stdout(io.StringIO()):
        await manager.run(backwards=backwards)


async def behind_a_reader(url: str, lock_timeout: str, hold: float) -> tuple[float, int]:
    """The migration run while a reader holds the table for ``hold`` s:
    (seconds it took, attempts it made)."""
    import asyncpg

    os.environ["PLATFORM_LOCK_TIMEOUT"] = lock_timeout
    reader = await asyncpg.connect(url)
    try:
        transaction = reader.transaction()
        await transaction.start()
        await reader.fetchval(f"SELECT count(*) FROM {TABLE}")  # ACCESS SHARE until the end

        async def release() -> None:
            await asyncio.sleep(hold)
            await transaction.rollback()

        releasing = asyncio.create_task(release())
        said = io.StringIO()
        began = time.perf_counter()
        with contextlib.redirect_stderr(said):
            await add_column()
        took = time.perf_counter() - began
        await releasing
        return took, said.getvalue().count("retrying in") + 1
    finally:
        await reader.close()


async def run(args: argparse.Namespace, url: str) -> None:
    import piccolo_conf  # noqa: F401  (the engine the runner uses)
    import platform_db.piccolo_app  # noqa: F401  (the runner around Piccolo's run)

    os.environ["PLATFORM_LOCK_ATTEMPTS"] = "20"
    await fill(url, args.rows)
    print(f"{args.rows:,} rows; {args.writers} writers; a reader holds the table {args.hold:g}s")
    waits: dict[str, list[float]] = {"(writers alone)": []}
    took: dict[str, list[float]] = {}
    attempts: dict[str, list[int]] = {}
    async with Writers(url, args.writers, accounts_round(args.rows)) as writers:
        for _ in range(args.runs):
            await asyncio.sleep(SETTLE)
            writers.reset()
            await asyncio.sleep(args.hold)
            waits["(writers alone)"].append(max(writers.longest))
            for setting in SETTINGS:
                await asyncio.sleep(SETTLE)
                writers.reset()
                seconds, tries = await behind_a_reader(url, setting, args.hold)
                waits.setdefault(setting, []).append(max(writers.longest))
                took.setdefault(setting, []).append(seconds)
                attempts.setdefault(setting, []).append(tries)
                await add_column(backwards=True)
    print(
        f"\n{'lock_timeout':16} {'longest writer wait':>20} {'ALTER done after':>17} {'attempts':>9}"
    )
    for label, values in waits.items():
        ms = statistics.median(values) * 1000
        done = f"{statistics.median(took[label]):.2f}s" if label in took else ""
        tries = f"{statistics.median(attempts[label]):g}" if label in attempts else ""
        print(f"{label:16} {ms:>17,.0f} ms {done:>17} {tries:>9}")
    alone = statistics.median(waits["(writers alone)"])
    print()
    for setting in SETTINGS:
        ratio = statistics.median(waits[setting]) / alone
        print(f"lock_timeout={setting}: writers' longest wait {ratio:.1f}x the writers alone")


def main() -> None:
    args = parse_args()
    from bench.database import throwaway_database

    with throwaway_database("bench_lock_timeout") as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
