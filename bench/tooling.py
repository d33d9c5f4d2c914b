"""What the migration tools cost as the history grows (issue 23.6): ``piccolo
platform check``, ``lint`` and ``sql <app> <newest id>`` (the SQL of the
migration just written), with what they keep between runs and without
(a fresh ``PLATFORM_CACHE_DIR`` each run), beside ``piccolo migrations
forwards all`` on an empty database and the floor: ``psql`` applying the
same DDL (every migration's captured script) to an empty database.

    python -m bench.tooling [--runs 5] [--extra 100] [--project PATH ...]

Measured twice: on the project's own history (~38 migrations), and with
``--extra`` more in a scratch app (``bench_history``: a table, then a column
per migration, as ``--auto`` writes them) generated into a temporary folder
and registered by a configuration module of its own (``PICCOLO_CONF``).
Every case is a whole ``piccolo`` process, as a user or a CI job runs it;
the cases are interleaved round by round, so that a noisy moment of a shared
machine hits them all alike; medians (and minimums) of ``--runs``.

``--project`` times another checkout (an older commit unpacked with ``git
archive``) with this environment's ``piccolo``; given twice, both are timed
in the same rounds. Runs on the server of ``DATABASE_URL`` (else the shared
PostgreSQL 15 of this machine); its databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from platform_db.database.engine import client_program

PICCOLO = str(Path(sys.executable).with_name("piccolo"))
PROJECT = Path(__file__).resolve().parents[1]
SHARED_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
APP = "bench_history"

MIGRATION = """\
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "{id}"
VERSION = "1.38.0"
DESCRIPTION = "{description}"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="{app}", description=DESCRIPTION)
{table}
    manager.add_column(
        table_class_name="BenchHistory",
        tablename="bench_history",
        column_name="c{number}",
        db_column_name="c{number}",
        column_class_name="Integer",
        column_class=Integer,
        params={{
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        }},
        schema=None,
    )
    return manager
"""
ADD_TABLE = """\
    manager.add_table(
        class_name="BenchHistory", tablename="bench_history", schema=None, columns=None
    )"""


def scratch_app(folder: Path, count: int) -> None:
    """``bench_history`` with ``count`` migrations, and ``bench_tooling_conf``."""
    app = folder / APP
    (app / "piccolo_migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "piccolo_migrations" / "__init__.py").write_text("")
    columns = "\n".join(f"    c{n} = Integer(null=True, default=None)" for n in range(count))
    (app / "tables.py").write_text(
        "from piccolo.columns import Integer\nfrom piccolo.table import Table\n\n\n"
        f'class BenchHistory(Table, tablename="bench_history"):\n{columns}\n'
    )
    (app / "piccolo_app.py").write_text(textwrap.dedent(f"""\
        import os

        from piccolo.conf.apps import AppConfig

        from {APP}.tables import BenchHistory

        APP_CONFIG = AppConfig(
            app_name="{APP}",
            migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
            table_classes=[BenchHistory],
            migration_dependencies=["admin.piccolo_app"],
        )
        """))
    for number in range(count):
        stamp = f"2027-01-01T00:{number // 60:02d}:{number % 60:02d}:000000"
        (app / "piccolo_migrations" / f"{APP}_{number:03d}.py").write_text(
            MIGRATION.format(
                id=stamp,
                app=APP,
                description=f"column_{number}",
                number=number,
                table=ADD_TABLE if number == 0 else "",
            )
        )
    (folder / "bench_tooling_conf.py").write_text(textwrap.dedent(f"""\
        from piccolo.conf.apps import AppRegistry

        from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
        from piccolo_conf import DB  # noqa: F401

        APP_REGISTRY = AppRegistry(apps=[*PROJECT_REGISTRY.apps, "{APP}.piccolo_app"])
        """))


def piccolo(project: Path, env: dict, *args: str, ok=(0,)) -> float:
    """Seconds ``piccolo <args>`` took in ``project``; it must end with ``ok``."""
    began = time.perf_counter()
    done = subprocess.run(
        [PICCOLO, *args], cwd=project, env=env, capture_output=True, text=True, timeout=1800
    )
    took = time.perf_counter() - began
    if done.returncode not in ok:
        raise SystemExit(f"piccolo {' '.join(args)} in {project}:\n{done.stdout}{done.stderr}")
    return took


SCRIPT = """
import asyncio
from platform_db.migrations.capture import capture, migration_table_sql
captured = asyncio.run(capture())
print(migration_table_sql())
print("\\n".join(c.script() for c in captured))
"""


def whole_script(env: dict) -> str:
    """Every migration's captured script, the ones that run only through
    `piccolo platform migrate` included (on an empty database they do what
    they did when captured): the DDL whose psql time is the floor."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return done.stdout


def main() -> None:
    from tests.support.databases import create_database, drop_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--extra", type=int, default=100)
    parser.add_argument("--project", type=Path, action="append")
    options = parser.parse_args()
    projects = [p.resolve() for p in options.project or [PROJECT]]
    server = os.environ.get("DATABASE_URL") or SHARED_SERVER
    folder = Path(tempfile.mkdtemp(prefix="bench-tooling-"))
    scratch_app(folder, options.extra)
    base = {
        **os.environ,
        "PLATFORM_DB_QUIET": "1",
        "PLATFORM_SCRATCH_SERVER": server,
        "PYTHONPATH": str(folder),
    }
    histories = {
        "landed": base,
        f"+{options.extra}": {**base, "PICCOLO_CONF": "bench_tooling_conf"},
    }
    databases: list[str] = []
    try:
        migrated, scripts, newest = {}, {}, {}
        for name, env in histories.items():
            migrated[name] = create_database(server, "bench_tooling")
            databases.append(migrated[name])
            migrate_all_env(migrated[name], env)
            scripts[name] = whole_script({**env, "PLATFORM_CACHE_DIR": str(folder / "cache")})
            newest[name] = newest_migration(env)
        timings: dict[tuple, list[float]] = {}
        for round_number in range(options.runs + 1):  # round 0 warms the caches up
            print(f"round {round_number} of {options.runs}", file=sys.stderr, flush=True)
            for name, env in histories.items():
                empty = create_database(server, "bench_tooling_empty")
                began = time.perf_counter()
                applied = subprocess.run(
                    [client_program("psql"), empty, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                    input=scripts[name],
                    capture_output=True,
                    text=True,
                    env={**env, "PGOPTIONS": "-c client_min_messages=warning"},
                )
                floor = time.perf_counter() - began
                drop_database(empty)
                if applied.returncode != 0:
                    raise SystemExit(applied.stderr)
                if round_number:
                    timings.setdefault(("psql floor", name, None), []).append(floor)
                for project in projects:
                    for case, took in run_round(
                        project, env, migrated[name], newest[name], server, folder
                    ):
                        if round_number:
                            timings.setdefault((case, name, project), []).append(took)
        report(timings, histories, projects, options)
    finally:
        for url in databases:
            drop_database(url)
        shutil.rmtree(folder, ignore_errors=True)


def migrate_all_env(url: str, env: dict) -> None:
    done = subprocess.run(
        [PICCOLO, "migrations", "forwards", "all"],
        cwd=PROJECT,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)


def newest_migration(env: dict) -> tuple[str, str]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from platform_db.migrations.runner import all_migration_files as a;"
            "f = a()[-1]; print(f.app, f.migration_id)",
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    app, migration_id = done.stdout.split()
    return app, migration_id


def run_round(project: Path, env: dict, migrated: str, newest, server: str, folder: Path):
    """(case, seconds) for one round in ``project``."""
    from tests.support.databases import create_database, drop_database

    kept = folder / f"kept-{project.name}-{env.get('PICCOLO_CONF', 'landed')}"
    cold = folder / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    on = {**env, "DATABASE_URL": migrated}
    empty = create_database(server, "bench_tooling_forwards")
    try:
        yield "forwards all", piccolo(
            project, {**env, "DATABASE_URL": empty}, "migrations", "forwards", "all"
        )
    finally:
        drop_database(empty)
    for case, args in (
        ("check", ("platform", "check")),
        ("lint", ("platform", "lint")),
        ("sql <newest>", ("platform", "sql", *newest)),
    ):
        shutil.rmtree(cold, ignore_errors=True)
        yield f"{case}, nothing kept", piccolo(
            project, {**on, "PLATFORM_CACHE_DIR": str(cold)}, *args
        )
        yield f"{case}, kept", piccolo(project, {**on, "PLATFORM_CACHE_DIR": str(kept)}, *args)


def report(timings, histories, projects, options) -> None:
    print(
        f"{options.runs} interleaved runs; seconds (median, min); x: median / the psql floor "
        "of the same history"
    )
    for name in histories:
        floor = statistics.median(timings[("psql floor", name, None)])
        print(
            f"\nhistory: {name} ({'the project' if name == 'landed' else 'the project + scratch app'})"
        )
        print(
            f"  {'psql floor (the same DDL)':34} {floor:7.2f} {min(timings[('psql floor', name, None)]):7.2f}   1.0x"
        )
        for project in projects:
            if len(projects) > 1:
                print(f"  {project}")
            for (case, history, where), values in timings.items():
                if history != name or where != project:
                    continue
                median = statistics.median(values)
                print(f"  {case:34} {median:7.2f} {min(values):7.2f} {median / floor:5.1f}x")


if __name__ == "__main__":
    main()
