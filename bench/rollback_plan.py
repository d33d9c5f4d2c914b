"""Where ``piccolo platform rollback <app> 1`` spends its planning time, on a
database built by ``piccolo migrations forwards all``: the whole plan
(``plan_rollback``), and its two parts, the replay that looks for apps whose
migrations need what is reversed (``_blockers``: what replaying every
other applied migration on a scratch database found, kept by the
fingerprint of the replay) and the cost analysis (``analyse``: the captured
backwards SQL, from the capture cache once warm, read and counted). Beside
them, the baseline every plan needs (reading the applied migrations) and
the replay itself, run every time as every plan did before it was kept
(``_replay``: the runner on a new scratch database). Medians of --rounds
runs, in one process, with a cache of its own (the first run, which fills
it, is reported apart). Scratch databases go to the server of the
database, as in the tests.

    python -m bench.rollback_plan --rounds 5
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.rollback_plan
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.database import throwaway_database
from platform_db.migrations.cache import CACHE_DIR_ENV
from tests.support.databases import server_url

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
    from platform_db.migrations.runner import (
        Timeouts,
        all_migration_files,
        applied_migrations,
        migration_files,
    )

    engine = engine_finder()
    await engine.start_connection_pool()
    try:
        applied = await applied_migrations()
        chosen = [a for a in applied if a.app == app][-1:]
        newest = [f for f in migration_files(app) if f.migration_id == chosen[0].migration_id]
        files = {(f.app, f.migration_id): f for f in all_migration_files()}
        replayed = [files[(a.app, a.migration_id)] for a in applied if a not in chosen]
        others = rollback.dependents(app)
        replays = any(a.app in others and a.serial > chosen[0].serial for a in applied)
        found: dict[str, list[float]] = {}
        for _ in range(rounds + 1):
            for name, make in (
                ("applied migrations (baseline)", applied_migrations),
                ("plan_rollback, whole", lambda: rollback.plan_rollback(app, "1")),
                ("  _blockers (kept replay)", lambda: rollback._blockers(app, chosen, applied)),
                ("  analyse", lambda: analyse(newest, Timeouts.from_environment())),
                ("_replay, every time (before)", lambda: rollback._replay(replayed)),
            ):
                if name.startswith("_replay") and not replays:
                    continue  # no dependent app's migration after it: no replay, before or now
                found.setdefault(name, []).append(await timed(make))
        return found
    finally:
        await engine.close_connection_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--apps", default="business,servicetitan")
    args = parser.parse_args()
    os.environ.setdefault("PLATFORM_SCRATCH_SERVER", server_url())
    os.environ[CACHE_DIR_ENV] = tempfile.mkdtemp(prefix="bench-rollback-cache-")
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
    shutil.rmtree(os.environ[CACHE_DIR_ENV], ignore_errors=True)


if __name__ == "__main__":
    main()
