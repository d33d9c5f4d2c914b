"""``piccolo platform check``: is everything where the migrations say?

- table classes against what their migrations build (``platform_db.migrations.drift``);
- migrations pending on the database, and applied ones whose file is gone;
- the database's schema against what its applied migrations build on a
  scratch database (``platform_db.database.scratch``): tables, columns, constraints,
  indexes, functions with their settings, triggers, partitions, types.

What PostgreSQL merely prints differently is not drift: a ``pg_dump`` /
``pg_restore`` round trip re-parses a CHECK's ``IN (...)`` into
``ARRAY[(...)::text, ...]``, so each object may match what the migrations
build either as built or after such a round trip (done on a second scratch
database). The monthly partitions of a partitioned table are data, made by
maintenance: they are compared by shape, not by month.
"""

from __future__ import annotations

import difflib
import io
import re
import subprocess
from contextlib import redirect_stdout
from dataclasses import dataclass, field

import asyncpg
from piccolo.conf.apps import Finder

from platform_db.database.catalog import QUERIES, USER_SCHEMAS, Snapshot, snapshot, without_piccolo
from platform_db.database.engine import client_program
from platform_db.migrations.drift import drift
from platform_db.migrations.runner import (
    Applied,
    Timeouts,
    app_names,
    applied_migrations,
    apply,
    ensure_migration_table,
    migration_files,
)
from platform_db.database.scratch import SCRATCH_SERVER_ENV, piccolo_on, scratch_database

# Exit statuses, added together when several kinds are found.
CLASS_DRIFT = 4
PENDING = 8
ORPHANED = 16
SCHEMA_DRIFT = 32
KINDS = {
    CLASS_DRIFT: "table classes differ from their migrations",
    PENDING: "migrations not applied to the database",
    ORPHANED: "applied migrations whose file is gone",
    SCHEMA_DRIFT: "the database's schema differs from what its migrations build",
}

# Whole function definitions (with their SET settings), so that a function
# edited in psql shows as a readable diff, not as a changed hash.
DETAILED = {
    **QUERIES,
    "functions": """
        SELECT n.nspname || '.' || p.proname
               || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
               CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
                    ELSE p.prokind::text || ' ' || pg_get_function_result(p.oid) END AS value
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE """
    + USER_SCHEMAS,
}

_PARTITIONS = """
    SELECT n.nspname || '.' || c.relname AS partition, pn.nspname || '.' || p.relname AS parent
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_namespace pn ON pn.oid = p.relnamespace
    WHERE p.relkind = 'p' AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
"""


# A partition's index made from its parent's partitioned index: PostgreSQL
# names it after the partition and the order the indexes came in (``_idx``,
# ``_idx1``), so it is known by its parent index instead.
_PARTITION_INDEXES = """
    SELECT n.nspname || '.' || ci.relname AS index,
           n.nspname || '.' || pi.relname || ' on ' || x.indrelid::regclass::text AS parent
    FROM pg_inherits i
    JOIN pg_class ci ON ci.oid = i.inhrelid AND ci.relkind = 'i'
    JOIN pg_class pi ON pi.oid = i.inhparent AND pi.relkind = 'I'
    JOIN pg_index x ON x.indexrelid = ci.oid
    JOIN pg_namespace n ON n.oid = ci.relnamespace
"""


@dataclass
class CheckReport:
    findings: dict[int, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: int, lines: list[str]) -> None:
        if lines:
            self.findings.setdefault(kind, []).extend(lines)

    @property
    def exit_code(self) -> int:
        return sum(self.findings)

    def text(self) -> str:
        out = []
        for kind in sorted(self.findings):
            out.append(f"{KINDS[kind]} (exit status {kind}):")
            out += [f"  {line}" for line in self.findings[kind]]
        out += self.notes
        return "\n".join(out)


async def check(schema: bool = True) -> CheckReport:
    report = CheckReport()
    finder = Finder()
    for app in app_names():
        with redirect_stdout(io.StringIO()):  # Piccolo's summary table of --auto
            problems = await drift(finder.get_app_config(app))
        report.add(
            CLASS_DRIFT,
            [f"{app}: {p} (run `piccolo migrations new {app} --auto`)" for p in problems],
        )
    applied = await applied_migrations()
    files = {(f.app, f.migration_id): f for app in app_names() for f in migration_files(app)}
    done = {(a.app, a.migration_id) for a in applied}
    report.add(
        PENDING,
        [
            f"{app} {mid} {files[(app, mid)].description}"
            for app, mid in files
            if (app, mid) not in done
        ],
    )
    report.add(
        ORPHANED,
        [
            f"{a.app} {a.migration_id}: recorded as applied, no such migration file (restore it, "
            "or `piccolo migrations clean` once the schema no longer has what it built)"
            for a in applied
            if (a.app, a.migration_id) not in files
        ],
    )
    if schema:
        report.add(SCHEMA_DRIFT, await schema_drift(applied, files))
    return report


async def schema_drift(applied: list[Applied], files: dict) -> list[str]:
    """The live database against what its applied migrations build."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    live_conn = await engine.get_new_connection()
    try:
        live = await _snapshot(live_conn)
        version = await live_conn.fetchval("SHOW server_version_num")
    finally:
        await live_conn.close()
    server = _scratch_server(engine.config["dsn"])
    async with scratch_database("platform_check", server) as built_url:
        await _build(built_url, applied, files, version)
        async with scratch_database("platform_check_restored", server) as restored_url:
            await _round_trip(built_url, restored_url, int(version))
            built = await _snapshot_of(built_url)
            restored = await _snapshot_of(restored_url)
    return compare(live, built, restored)


def _scratch_server(live_dsn: str) -> str:
    """``PLATFORM_SCRATCH_SERVER``, else the database's own server: what
    PostgreSQL prints differs between major versions."""
    import os

    return os.environ.get(SCRATCH_SERVER_ENV) or live_dsn


async def _build(url: str, applied: list[Applied], files: dict, live_version: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        version = await conn.fetchval("SHOW server_version_num")
    finally:
        await conn.close()
    if int(version) // 10000 != int(live_version) // 10000:
        raise SchemaCheckError(
            f"the scratch server runs PostgreSQL {int(version) // 10000}, the database "
            f"{int(live_version) // 10000}: point {SCRATCH_SERVER_ENV} at a server of the "
            "database's major version (a database is created there and dropped)"
        )
    order = {name: i for i, name in enumerate(app_names())}
    wanted = sorted(
        (a for a in applied if (a.app, a.migration_id) in files),
        key=lambda a: (order.get(a.app, len(order)), a.migration_id),
    )
    timeouts = Timeouts(attempts=1)
    with piccolo_on(url), redirect_stdout(io.StringIO()):  # Piccolo's line per migration
        await ensure_migration_table()
        for a in wanted:
            await apply(files[(a.app, a.migration_id)], timeouts)


class SchemaCheckError(Exception):
    pass


async def _round_trip(source: str, target: str, version: int) -> None:
    """``pg_dump`` of ``source``'s schema, restored into ``target``."""
    dump = subprocess.run(
        [
            client_program("pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            source,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if dump.returncode != 0:
        raise SchemaCheckError(f"pg_dump failed: {' '.join(dump.stderr.split())}")
    sql = "\n".join(
        line
        for line in dump.stdout.splitlines()
        # psql's meta-commands (\restrict), and a setting servers before 17 lack
        if not line.startswith("\\")
        and not (version < 170000 and line.startswith("SET transaction_timeout"))
    )
    conn = await asyncpg.connect(target)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _snapshot(conn) -> Snapshot:
    return normalised(
        without_piccolo(await snapshot(conn, DETAILED)),
        await conn.fetch(_PARTITIONS),
        {r["index"]: r["parent"] for r in await conn.fetch(_PARTITION_INDEXES)},
    )


async def _snapshot_of(url: str) -> Snapshot:
    conn = await asyncpg.connect(url)
    try:
        return await _snapshot(conn)
    finally:
        await conn.close()


def normalised(snap: Snapshot, partitions, partition_indexes: dict[str, str]) -> Snapshot:
    """Owners left out; each range partition of a partitioned table named
    ``<parent>_<partition>`` and its bounds ``<range>``; a partition's index
    named after its parent index."""
    renames = sorted(((r["partition"], r["parent"]) for r in partitions), key=lambda p: -len(p[0]))

    def rename(text: str) -> str:
        for partition, parent in renames:
            table = partition.split(".", 1)[1]
            text = text.replace(partition, f"{parent}_<partition>")
            text = re.sub(rf"\b{re.escape(table)}", f"{parent.split('.', 1)[1]}_<partition>", text)
        return re.sub(r"FOR VALUES FROM \(.*?\) TO \(.*?\)$", "FOR VALUES <range>", text)

    def by_parent(key: str, value) -> tuple[str, str]:
        parent = partition_indexes.get(key)
        if parent is None:
            return key, str(value)
        name, parent_name = key.split(".", 1)[1], parent.split(" on ")[0].split(".", 1)[1]
        return parent, str(value).replace(f"INDEX {name} ", f"INDEX {parent_name} ")

    out: Snapshot = {}
    for kind, objects in snap.items():
        if kind == "schemas":
            out[kind] = {key: "" for key in objects}
            continue
        if kind == "indexes":
            objects = dict(by_parent(key, value) for key, value in objects.items())
        # The partitions of one table fall together: the set of what they hold.
        merged: dict[str, set] = {}
        for key, value in objects.items():
            merged.setdefault(rename(key), set()).add(rename(str(value)))
        out[kind] = {key: " | ".join(sorted(values)) for key, values in merged.items()}
    return out


def compare(live: Snapshot, built: Snapshot, restored: Snapshot) -> list[str]:
    """Readable differences; an object matches what the migrations build as
    built or as restored from a dump."""
    lines = []
    for kind in sorted(set(live) | set(built)):
        have, want, alt = live.get(kind, {}), built.get(kind, {}), restored.get(kind, {})
        for key in sorted(set(have) | set(want)):
            if key not in have:
                lines.append(f"{kind}: {key} is missing (the migrations build {_short(want[key])})")
            elif key not in want:
                lines.append(f"{kind}: {key} is not built by any migration ({_short(have[key])})")
            elif have[key] not in (want[key], alt.get(key)):
                lines.append(f"{kind}: {key} differs:")
                lines += _diff(want[key], have[key])
    return lines


def _short(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _diff(built: str, live: str) -> list[str]:
    built_lines, live_lines = str(built).splitlines(), str(live).splitlines()
    if len(built_lines) == 1 and len(live_lines) == 1:
        return [f"    the migrations: {built}", f"    the database:   {live}"]
    return [
        "    " + line.rstrip("\n")
        for line in difflib.unified_diff(
            built_lines, live_lines, "the migrations", "the database", lineterm="", n=1
        )
    ]
