"""The day-2 changes under write load (issue 23, "what happened", measured
after): docs/migrations.md's worked examples, each run forwards and
backwards in its documented form and in the form ``--auto`` generated (the
same file with the hand-written part left out: no online steps, no
``state_only``, ``MigrationManager`` in a transaction), on the example app
``day2`` with ``--rows`` clients and messages while 4 writers insert and
update. Printed: per change and direction, the writers' worst wait (median
of ``--runs``) for both forms, beside the writers alone; then how long
``piccolo platform check``, ``lint`` and ``sql`` take on that history.

    python -m bench.day2_changes --rows 1000000 --runs 3

Each migration runs in this process through the project's runner (as
``piccolo migrations forwards`` runs it: timeouts, retries), on a database
of its own on the server of ``DATABASE_URL``, else the embedded one, dropped
at the end. The examples chain as in the docs: each runs on the table the
ones before it left, documented form. The machine is shared: compare the
forms of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.arguments import under_load

SETTLE = 0.3  # seconds of writing before each change
# What the generated form lacks: the calls a documented migration adds by hand.
HAND_WRITTEN = (
    "add_sql_steps",
    "state_only",
    "online_unique",
    "foreign_key_column",
    "volatile_default_column",
    "change_column_type",
)


def parse_args() -> argparse.Namespace:
    return under_load(__doc__)


def forwards_of(example, form: str):
    """The example's ``forwards()``, ``documented`` or ``generated``, and
    whether it is the generated one."""
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    namespace: dict = {}
    exec(compile(example.migration, example.file_name, "exec"), namespace)
    if form == "generated":
        for name in HAND_WRITTEN:
            if name in namespace:
                namespace[name] = lambda *args, **kwargs: None
        namespace["LiveTableMigrationManager"] = MigrationManager
    return namespace["forwards"], form == "generated"


async def run_migration(example, form: str, backwards: bool) -> None:
    forwards, generated = forwards_of(example, form)
    manager = await forwards()
    if generated:
        manager.wrap_in_transaction = True  # as --auto wrote it
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo's progress lines
        await manager.run(backwards=backwards)


async def timed(writers, change) -> float | None:
    """The writers' worst wait while ``change()`` ran; None when one of their
    statements failed meanwhile (the change broke the application's writes:
    e.g. a column dropped that a trigger still names)."""
    writers.revive()
    await asyncio.sleep(SETTLE)
    failed = len(writers.errors)
    writers.reset()
    await change()
    stopped = all(task.done() for task in writers.tasks)  # failing since before the change
    return None if stopped or len(writers.errors) > failed else writers.worst


async def measure(args, url: str, examples) -> dict:
    from tests.platform.day2_app.load import writers_round
    from tests.support.writers import Writers

    waits: dict = {}
    async with Writers(url, args.writers, writers_round(args.rows)) as writers:
        for _ in range(args.runs):
            waits.setdefault(("(writers alone)", "", ""), []).append(
                await timed(writers, lambda: asyncio.sleep(1.0))
            )
        for example in examples:
            for _ in range(args.runs):
                for form in ("generated", "documented"):
                    for backwards in (False, True):
                        direction = "backwards" if backwards else "forwards"
                        worst = await timed(
                            writers, lambda: run_migration(example, form, backwards)
                        )
                        waits.setdefault((example.name, direction, form), []).append(worst)
            await run_migration(example, "documented", backwards=False)  # the next builds on it
        if writers.errors:  # each shown once: the first of its kind
            seen = dict.fromkeys(e.split(": ", 1)[1] for e in writers.errors)
            print("writers' errors (their cells say 'writes fail'):", *seen, sep="\n  ")
    return waits


def tool_timings(url: str) -> dict[str, float]:
    """Seconds of ``piccolo platform check`` / ``lint`` / ``sql`` on the
    history with every example applied (each run twice: the second reads
    what the first kept)."""
    from tests.support.commands import run_piccolo

    timings = {}
    for label, command in (
        ("check", ["platform", "check"]),
        ("lint", ["platform", "lint"]),
        ("sql day2", ["platform", "sql", "day2"]),
    ):
        for attempt in ("first", "again"):
            started = time.perf_counter()
            run_piccolo(*command, url=url)
            timings[f"{label} ({attempt})"] = time.perf_counter() - started
    return timings


def _cell(runs: list) -> str:
    """The median worst wait of the runs, or what broke the writers' writes."""
    if any(worst is None for worst in runs):
        return "writes fail"
    return f"{statistics.median(runs) * 1000:,.0f} ms"


def report(waits: dict, timings: dict[str, float]) -> None:
    alone = statistics.median(waits.pop(("(writers alone)", "", "")))
    print(f"\nwriters alone: worst wait {alone * 1000:,.0f} ms (median)")
    print(f"\n{'change':22} {'direction':10} {'generated':>12} {'documented':>12}")
    names = dict.fromkeys(name for name, _, _ in waits)
    for name in names:
        for direction in ("forwards", "backwards"):
            cells = [_cell(waits[name, direction, form]) for form in ("generated", "documented")]
            print(f"{name:22} {direction:10} {cells[0]:>12} {cells[1]:>12}")
    print()
    for label, seconds in timings.items():
        print(f"{label:20} {seconds:6.2f} s")


def main() -> None:
    args = parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-day2-"))
    os.environ.update(PICCOLO_CONF="tests.platform.day2_conf", DAY2_FOLDER=str(folder))
    from bench.database import throwaway_database
    from tests.support.doc_examples import apply_diff, examples

    app = Path(__file__).resolve().parents[1] / "tests" / "platform" / "day2_app"
    shutil.copytree(app / "piccolo_migrations", folder / "piccolo_migrations")
    tables = (app / "tables.py").read_text()
    chain = examples()
    for example in chain:  # the files as the docs leave them: the snapshot Piccolo reads
        tables = apply_diff(tables, example.tables_diff)
        (folder / "piccolo_migrations" / example.file_name).write_text(example.migration)
    (folder / "tables.py").write_text(tables)
    try:
        with throwaway_database("bench_day2") as url:
            timings = asyncio.run(prepare(url, args.rows, chain[0].migration_id))
            print(f"{args.rows:,} clients and messages; {args.writers} writers, {args.runs} run(s)")
            report(asyncio.run(run(args, url, chain)), timings)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def prepare(url: str, rows: int, first_example: str) -> dict[str, float]:
    """Every migration applied, the tools timed on that history; then the
    examples reversed and the tables filled. The tools' timings."""
    import asyncpg

    from tests.platform.day2_app.load import fill
    from tests.support.commands import run_piccolo
    from tests.support.databases import migrate_all

    migrate_all(url)
    timings = tool_timings(url)
    done = run_piccolo(
        "migrations", "backwards", "day2", f"--migration_id={first_example}", "--auto_agree",
        url=url,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    connection = await asyncpg.connect(url)
    try:
        await fill(connection, rows)
    finally:
        await connection.close()
    return timings


async def run(args, url: str, chain) -> dict:
    import piccolo_conf  # noqa: F401  (the engine the runner uses)
    import platform_db.piccolo_app  # noqa: F401  (the runner around Piccolo's run)

    return await measure(args, url, chain)


if __name__ == "__main__":
    main()
