"""``piccolo platform check``: is everything where the migrations say?

- table classes against what their migrations build (``platform_db.migrations.drift``),
  and the indexes Piccolo would drop by a name they do not have;
- migrations pending on the database, and applied ones whose file is gone;
- the database's schema against what its applied migrations build on a
  scratch database (``platform_db.database.scratch``): tables, columns, constraints,
  indexes, functions with their settings, triggers, partitions, types.
  What is not drift (how PostgreSQL prints a CHECK after a dump, monthly
  partitions, months kept as tables, the order of columns) is in
  ``platform_db.migrations.schema_diff``.

What the migrations build, and how the table classes differ from them,
change only when the files that decide them do: both are kept by those
files' fingerprint (``platform_db.migrations.cache``), so a check whose
migrations and classes were seen before replays nothing and reads only the
database. A replay needed runs each migration from its kept capture when
there is one (``capture.replay``). The ``pg_dump`` round trip is made only
when the database differs from the build.
"""

from __future__ import annotations

import inspect
import io
import os
import subprocess
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
from piccolo.conf.apps import Finder

from platform_db.database.catalog import QUERIES, USER_SCHEMAS, Snapshot, snapshot, without_piccolo
from platform_db.database.engine import client_program
from platform_db.database.scratch import SCRATCH_SERVER_ENV, scratch_database
from platform_db.migrations import cache
from platform_db.migrations.capture import replay
from platform_db.migrations.drift import (
    PiccoloIndex,
    drift,
    index_name_problems,
    piccolo_indexes,
)
from platform_db.migrations.fingerprints import (
    digest,
    files_digest,
    loaded_project_files,
    machinery,
    migration_chain,
    module_files,
)
from platform_db.migrations.runner import Applied, app_names, applied_migrations, migration_files
from platform_db.migrations.schema_diff import column_order, compare, kept_months, normalised

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

# The plain one-column indexes of each column (not a constraint's, not
# partial, not on an expression): the ones Piccolo's index=True makes.
_COLUMN_INDEXES = """
    SELECT n.nspname || '.' || t.relname AS table, a.attname AS column,
           n.nspname || '.' || ic.relname AS index
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
    WHERE i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
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
    files = {(f.app, f.migration_id): f for app in app_names() for f in migration_files(app)}
    report.add(CLASS_DRIFT, await _class_drift(list(files.values())))
    applied = await applied_migrations()
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
    from piccolo.engine import engine_finder

    live_conn = await engine_finder().get_new_connection()
    try:
        report.add(CLASS_DRIFT, await _index_names(live_conn, list(files.values()), done))
        if schema:
            lines, notes = await schema_drift(live_conn, applied, files)
            report.add(SCHEMA_DRIFT, lines)
            report.notes += notes
    finally:
        await live_conn.close()
    return report


async def _class_drift(files: list) -> list[str]:
    """Piccolo's own comparison of each app's classes with its migrations,
    kept by the fingerprint of what decides it: the migrations (``files``),
    the table classes' modules, every project file loaded, and what they
    import."""
    finder = Finder()
    tables = {
        Path(inspect.getfile(table)).resolve()
        for app in app_names()
        for table in finder.get_app_config(app).table_classes
    }
    key = digest(
        migration_chain(files)[-1] if files else machinery(),
        files_digest(loaded_project_files().union(*(module_files(t) for t in tables))),
        *app_names(),
    )
    kept = cache.load("class-drift", key)
    if kept is not None:
        return kept
    lines = []
    for app in app_names():
        with redirect_stdout(io.StringIO()):  # Piccolo's summary table of --auto
            problems = await drift(finder.get_app_config(app))
        lines += [f"{app}: {p} (run `piccolo migrations new {app} --auto`)" for p in problems]
    cache.store("class-drift", key, lines)
    return lines


async def _index_names(conn, files: list, done: set[tuple[str, str]]) -> list[str]:
    """Indexes the database does not have under the name Piccolo gives them
    (for the migrations applied to it); Piccolo's expectations kept by the
    migrations' fingerprint."""
    key = digest(migration_chain(files)[-1] if files else machinery(), *sorted(map(str, done)))
    kept = cache.load("piccolo-indexes", key)
    if kept is None:
        finder = Finder()
        kept = {}
        for app in app_names():
            applied = {mid for a, mid in done if a == app}
            expected = await piccolo_indexes(finder.get_app_config(app), applied)
            kept[app] = [asdict(index) for index in expected]
        cache.store("piccolo-indexes", key, kept)
    live: dict[tuple[str, str], list[str]] = {}
    for row in await conn.fetch(_COLUMN_INDEXES):
        live.setdefault((row["table"], row["column"]), []).append(row["index"])
    return [
        f"{app}: {problem}"
        for app, expected in kept.items()
        for problem in index_name_problems([PiccoloIndex(**i) for i in expected], live)
    ]


async def schema_drift(conn, applied: list[Applied], files: dict) -> tuple[list[str], list[str]]:
    """The live database against what its applied migrations build: the
    differences, and notes on what differs without being drift."""
    from piccolo.engine import engine_finder

    version = int(await conn.fetchval("SHOW server_version_num"))
    partitions = await conn.fetch(_PARTITIONS)
    live = await _snapshot(conn, partitions)
    order = {name: i for i, name in enumerate(app_names())}
    wanted = [
        files[(a.app, a.migration_id)]
        for a in sorted(
            (a for a in applied if (a.app, a.migration_id) in files),
            key=lambda a: (order.get(a.app, len(order)), a.migration_id),
        )
    ]
    key = digest(migration_chain(wanted)[-1] if wanted else machinery(), str(version))
    server = os.environ.get(SCRATCH_SERVER_ENV) or engine_finder().config["dsn"]
    built = cache.load("schemas", key)
    if built is None:
        async with scratch_database("platform_check", server) as url:
            await _build(url, wanted, version)
            built = await _snapshot_of(url)
        cache.store("schemas", key, built)
    live, notes, misshapen = kept_months(live, built, partitions)
    lines = compare(live, built, {})
    if lines:
        restored = cache.load("schemas", key + "-restored")
        if restored is None:
            restored = await _restored(server, wanted, version)
            cache.store("schemas", key + "-restored", restored)
        lines = compare(live, built, restored)
    return misshapen + lines, notes + column_order(live, built)


async def _build(url: str, wanted: list, live_version: int) -> None:
    """The ``wanted`` migrations, in order, on the scratch database ``url``
    (of the database's PostgreSQL major version: what it prints differs
    between them)."""
    conn = await asyncpg.connect(url)
    try:
        version = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    if version // 10000 != live_version // 10000:
        raise SchemaCheckError(
            f"the scratch server runs PostgreSQL {version // 10000}, the database "
            f"{live_version // 10000}: point {SCRATCH_SERVER_ENV} at a server of the "
            "database's major version (a database is created there and dropped)"
        )
    await replay(url, wanted)


async def _restored(server: str, wanted: list, version: int) -> Snapshot:
    """What the migrations build, after a ``pg_dump`` / ``pg_restore``."""
    async with scratch_database("platform_check", server) as built_url:
        await _build(built_url, wanted, version)
        async with scratch_database("platform_check_restored", server) as restored_url:
            await _round_trip(built_url, restored_url, version)
            return await _snapshot_of(restored_url)


class SchemaCheckError(Exception):
    pass


async def _snapshot(conn, partitions=None) -> Snapshot:
    partitions = partitions if partitions is not None else await conn.fetch(_PARTITIONS)
    return normalised(
        without_piccolo(await snapshot(conn, DETAILED)),
        partitions,
        {r["index"]: r["parent"] for r in await conn.fetch(_PARTITION_INDEXES)},
    )


async def _snapshot_of(url: str) -> Snapshot:
    conn = await asyncpg.connect(url)
    try:
        return await _snapshot(conn)
    finally:
        await conn.close()


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
