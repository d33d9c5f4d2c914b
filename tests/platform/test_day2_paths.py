"""Issue 23.8: docs/migrations.md's day-2 examples, run as written, under
write load. On a copy of the migrated database, the example app ``day2``
(``tests/platform/day2_app``) gets 100,000 clients and 100,000 messages; 4
writers insert clients and messages and update clients all along, each
statement timed. Then each example, in the document's order (one table's
history: each builds on the last), goes forwards through ``piccolo platform
migrate`` (which lints it first); then each goes backwards, newest first,
through ``piccolo platform rollback``. For every step:

- no writer waits for a lock 200 ms or more: the longest a writer was
  seen blocked (``pg_locks.waitstart``, sampled every 10 ms by the server's
  clock: ``Writers(lock_waits=True)``). The writers' worst wait as they
  timed it is printed beside their baseline (their worst during the
  ``piccolo platform check`` just before), not judged: on this 2-core
  machine, shared with the other server's suite in CI, the same step's
  timed worst went from 17-40 ms in some runs to 1,091 ms in another;
- the data is kept: the rows the writers never touch, per column present
  before and after (row count and a checksum), and every row the writers
  were told they stored;
- ``piccolo platform check`` is clean after it (after a rollback, with the
  example's tables.py change and migration file taken back out, as the code
  is rolled back with the schema);
- the lint verdict: ``platform migrate`` ran (its lint found nothing it
  refused), and a finding the migration acknowledges is shown, not hidden.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.platform.day2_app.load import HOT, fill, writers_round
from tests.support.commands import run_piccolo
from platform_db.database.urls import database_name
from tests.support.databases import connect, copy_database, drop_database
from tests.support.doc_examples import Example, acknowledged, apply_diff, examples
from tests.support.writers import Writers

APP = Path(__file__).with_name("day2_app")
EXAMPLES = examples()
ROWS = 100_000
WRITERS = 4
LOCK_WAIT_BOUND = 0.200
# The one step of the documented paths that cannot be online (docs/migrations.md says so):
# narrowing a varchar back rewrites the table under ACCESS EXCLUSIVE. Its plan must say it.
ANNOUNCED_REWRITES = {
    ("email_wider", "backwards"): "changes public.day2_clients.email to varchar(255): a rewrite of"
}
# What a rollback's plan must say it loses: the contract step's column comes back empty.
ANNOUNCED_LOSSES = {
    ("phone_contract", "backwards"): "adds column day2_clients.phone back without the values"
    " the migration dropped: its ~"
}

# The rows no writer touches, per table: what every step must keep.
UNTOUCHED = {
    "day2_clients": f"id > {HOT} AND id <= {ROWS}",
    "day2_messages": "content LIKE 'fill %'",
}


async def table_digest(conn, table: str) -> dict[str, tuple[int, int]]:
    """Per column of ``table``: (rows, order-free checksum of the values by
    row key) over its untouched rows."""
    columns = [
        r["attname"]
        for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            table,
        )
    ]
    sums = ", ".join(
        f"coalesce(sum(hashtextextended(id::text || ':' || coalesce({c}::text, '<null>'), 0)"
        f"::numeric), 0) AS {c}"
        for c in columns
    )
    row = await conn.fetchrow(
        f"SELECT count(*) AS rows_, {sums} FROM {table} WHERE {UNTOUCHED[table]}"
    )
    return {c: (row["rows_"], int(row[c])) for c in columns}


async def data(conn) -> dict[str, dict[str, tuple[int, int]]]:
    return {table: await table_digest(conn, table) for table in UNTOUCHED}


def data_lost(before: dict, after: dict) -> list[str]:
    """The columns, present before and after, whose untouched rows differ."""
    return [
        f"{table}.{column}: {before[table][column]} -> {after[table][column]}"
        for table in before
        for column in sorted(before[table].keys() & after[table].keys())
        if before[table][column] != after[table][column]
    ]


async def missing_writes(conn, returned: list) -> int:
    """How many rows the writers were told they stored are not there."""
    clients = [v for v in returned if isinstance(v, int)]
    messages = [v for v in returned if not isinstance(v, int)]
    found = await conn.fetchval(
        "SELECT (SELECT count(*) FROM day2_clients WHERE id = ANY($1::int[]))"
        " + (SELECT count(*) FROM day2_messages WHERE id = ANY($2::uuid[]))",
        clients,
        messages,
    )
    return len(returned) - found


@dataclass
class Step:
    example: str
    direction: str
    command: str = ""
    returncode: int | None = None
    output: str = ""
    baseline: float = 0.0
    worst: float = 0.0
    lock_wait: float = 0.0
    took: float = 0.0
    lost: list[str] = field(default_factory=list)
    missing: int = 0
    writer_errors: list[str] = field(default_factory=list)
    check: str = ""
    check_returncode: int | None = None
    check_took: float = 0.0

    @property
    def ran(self) -> bool:
        return self.returncode == 0


class Folder:
    """The app's ``DAY2_FOLDER``: its start, then the examples applied in order."""

    def __init__(self, path: Path):
        self.path = path
        shutil.copytree(APP / "piccolo_migrations", path / "piccolo_migrations")
        self.tables = [(APP / "tables.py").read_text()]
        (path / "tables.py").write_text(self.tables[0])

    def forwards(self, example: Example) -> None:
        self.tables.append(apply_diff(self.tables[-1], example.tables_diff))
        (self.path / "tables.py").write_text(self.tables[-1])
        (self.path / "piccolo_migrations" / example.file_name).write_text(example.migration)

    def backwards(self, example: Example) -> None:
        """The code rolled back with the schema: the example taken out."""
        self.tables.pop()
        (self.path / "tables.py").write_text(self.tables[-1])
        (self.path / "piccolo_migrations" / example.file_name).unlink()


class Journey:
    def __init__(self, url: str, folder: Folder, writers: Writers):
        self.url, self.folder, self.writers = url, folder, writers
        self.env = {"PICCOLO_CONF": "tests.platform.day2_conf", "DAY2_FOLDER": str(folder.path)}
        self.baseline = 0.0
        self.lint = None

    async def piccolo(self, *args: str):
        return await asyncio.to_thread(run_piccolo, *args, url=self.url, **self.env)

    async def check(self, step: Step | None = None) -> None:
        """``platform check``; the writers' worst wait meanwhile is the next
        step's baseline."""
        self.writers.reset()
        started = time.perf_counter()
        done = await self.piccolo("platform", "check")
        self.baseline = self.writers.worst
        if step is not None:
            step.check_returncode, step.check = done.returncode, done.stdout + done.stderr
            step.check_took = time.perf_counter() - started

    async def step(self, example: Example, direction: str, *args: str) -> Step:
        step = Step(example.name, direction, " ".join(args), baseline=self.baseline)
        conn = await connect(self.url)
        try:
            before = await data(conn)
            self.writers.reset()
            started = time.perf_counter()
            done = await self.piccolo(*args)
            step.took = time.perf_counter() - started
            step.worst = self.writers.worst
            step.lock_wait = self.writers.lock_wait
            step.returncode, step.output = done.returncode, done.stdout + done.stderr
            step.lost = data_lost(before, await data(conn))
            step.missing = await missing_writes(conn, list(self.writers.returned))
        finally:
            await conn.close()
        step.writer_errors = list(self.writers.errors)
        return step

    async def walk(self) -> dict[tuple[str, str], Step]:
        steps: dict[tuple[str, str], Step] = {}
        await self.check()
        for example in EXAMPLES:
            self.folder.forwards(example)
            step = steps[example.name, "forwards"] = await self.step(
                example, "forwards", "platform", "migrate"
            )
            if not step.ran:
                return steps
            await self.check(step)
        self.lint = await self.piccolo("platform", "lint")
        for example in reversed(EXAMPLES):
            step = steps[example.name, "backwards"] = await self.step(
                example, "backwards", "platform", "rollback", "day2", "1", "--yes"
            )
            if not step.ran:
                return steps
            self.folder.backwards(example)
            await self.check(step)
        return steps


@pytest.fixture(scope="module")
async def journey(migrated_template, tmp_path_factory):
    url = copy_database(migrated_template, "test_day2")
    folder = Folder(tmp_path_factory.mktemp("day2"))
    env = {"PICCOLO_CONF": "tests.platform.day2_conf", "DAY2_FOLDER": str(folder.path)}
    try:
        done = run_piccolo("migrations", "forwards", "day2", url=url, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        conn = await connect(url)
        try:
            await fill(conn, ROWS)
            # A DDL statement keeps its lock until its commit's WAL is on disk, and this
            # machine's disk is shared with the other server's suite in CI: the bound is
            # about how long the migrations hold their locks, not how long the disk takes.
            await conn.execute(
                f'ALTER DATABASE "{database_name(url)}" SET synchronous_commit = off'
            )
        finally:
            await conn.close()
        started = time.perf_counter()
        async with Writers(url, WRITERS, writers_round(ROWS), lock_waits=True) as writers:
            walked = Journey(url, folder, writers)
            steps = await walked.walk()
        print(f"\nday-2 examples: {time.perf_counter() - started:.1f} s under load")
        for step in steps.values():
            print(
                f"  {step.example:22} {step.direction:9} lock wait {step.lock_wait * 1000:5.0f} ms,"
                f" worst {step.worst * 1000:5.0f} ms (baseline {step.baseline * 1000:4.0f} ms),"
                f" {step.took:4.1f} s, check {step.check_took:4.1f} s"
            )
        yield walked.lint, steps
    finally:
        drop_database(url)


def reached(journey, name: str, direction: str) -> Step:
    steps = journey[1]
    step = steps.get((name, direction))
    if step is None:
        failed = next(s for s in steps.values() if not s.ran)
        pytest.fail(f"not reached: {failed.example} {failed.direction} failed first")
    return step


@pytest.mark.parametrize("direction", ["forwards", "backwards"])
@pytest.mark.parametrize("name", [e.name for e in EXAMPLES])
def test_example_under_load(journey, name, direction):
    step = reached(journey, name, direction)
    assert step.ran, f"`piccolo {step.command}` failed:\n{step.output}"
    assert step.writer_errors == []
    if (name, direction) in ANNOUNCED_REWRITES:
        assert ANNOUNCED_REWRITES[name, direction] in step.output, step.output
        # The sampler sees a lock writers wait for: the rewrite holds one for the whole
        # table (0.6-3 s at 100,000 rows here).
        assert step.lock_wait > 0.05, f"no lock wait seen during a rewrite: {step.lock_wait}"
    else:
        assert step.lock_wait < LOCK_WAIT_BOUND, (
            f"a writer waited {step.lock_wait * 1000:.0f} ms for a lock (its timed worst:"
            f" {step.worst * 1000:.0f} ms, {step.baseline * 1000:.0f} ms before)"
        )
    if (name, direction) in ANNOUNCED_LOSSES:
        assert ANNOUNCED_LOSSES[name, direction] in step.output, step.output
    assert step.lost == [], "values changed in rows no writer touched"
    assert step.missing == 0, "rows the writers were told were stored are gone"
    assert step.check_returncode == 0, step.check


def test_the_lint_finds_nothing_but_what_the_examples_acknowledge(journey):
    """With every example applied, ``piccolo platform lint`` judges them all:
    no finding, and each acknowledgement shown with its reason."""
    lint = journey[0]
    if lint is None:
        reached(journey, EXAMPLES[-1].name, "forwards")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    shown = [line for line in lint.stdout.splitlines() if " acknowledged: " in line]
    for example in EXAMPLES:
        for rule, reason in acknowledged(example).items():
            assert any(
                f"{example.file_name}): {rule} acknowledged: {reason}" in line for line in shown
            ), f"{example.name}: {rule} not shown as acknowledged:\n{lint.stdout}"
