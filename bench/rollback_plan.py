"""Where ``piccolo platform rollback <app> 1`` spends its planning time, on a
database built by ``piccolo migrations forwards all``: the whole plan
(``plan_rollback``), and its two parts, the replay that looks for apps whose
migrations need what is reversed (``_blockers``: every other applied
migration run again through the runner on a scratch database) and the cost
analysis (``analyse``: the captured backwards SQL, from the capture cache
once warm, read and counted). Beside them, the baseline every plan needs:
reading the applied migrations. Medians of --rounds runs, in one process
(the first run, which may fill the capture cache, is reported apart).

    python -m bench.rollback_plan --rounds 5
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.rollback_plan
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.database import throwaway_database

PICCOLO = str(Path(sys.executable).with_name("piccolo"))
PROJECT = Path(__file__).resolve().parents[1]


async def timed(make) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


async def measure(app: str, rounds: int) -> dict[str, list[float]]:
    from piccolo.engine import engine_finder

    from platform_db.migrations import rollback
    from platform_db.migrations.rollback_plan import analyse
    from platform_db.migrations.runner import Timeouts, applied_migrations, migration_files

    engine = engine_finder()
    await engine.start_connection_pool()
    try:
        applied = await applied_migrations()
        chosen = [a for a in applied if a.app == app][-1:]
        newest = [f for f in migration_files(app) if f.migration_id == chosen[0].migration_id]
        found: dict[str, list[float]] = {}
        for _ in range(rounds + 1):
            for name, make in (
                ("applied migrations (baseline)", applied_migrations),
                ("plan_rollback, whole", lambda: rollback.plan_rollback(app, "1")),
                ("  _blockers (replay)", lambda: rollback._blockers(app, chosen, applied)),
                ("  analyse", lambda: analyse(newest, Timeouts.from_environment())),
            ):
                found.setdefault(name, []).append(await timed(make))
        return found
    finally:
        await engine.close_connection_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--apps", default="business,servicetitan")
    args = parser.parse_args()
    with throwaway_database("bench_rollback") as url:
        done = subprocess.run(
            [PICCOLO, "migrations", "forwards", "all"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.exit(f"forwards all failed: {done.stderr[-500:]}")
        for app in args.apps.split(","):
            print(f"\nrollback {app} 1 (planning only), seconds")
            for name, times in asyncio.run(measure(app, args.rounds)).items():
                first, rest = times[0], times[1:]
                print(f"  {name:32} median {statistics.median(rest):7.3f}   first {first:7.3f}")
    del url


if __name__ == "__main__":
    main()
