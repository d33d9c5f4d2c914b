"""How long ``piccolo --help``, an app's and each project command's
``--help``, and a command refused for its arguments take on the embedded
default, beside the same ``--help`` with ``DATABASE_URL`` set
and a bare ``python -c pass``, all timed in this process (wall clock of the
whole subprocess, median of several rounds, cases interleaved so that a
noisy moment of a shared machine hits them all alike).

    python -m bench.cli_help [--runs 7] [--project PATH ...] [--database-url URL]

``--project`` times another checkout of the project (e.g. an older commit
unpacked with ``git archive``) with this environment's ``piccolo``; given
twice, both are timed round by round, side by side. The last column says
whether a run started the embedded server (its log grew).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PICCOLO = str(Path(sys.executable).with_name("piccolo"))
PROJECT = Path(__file__).resolve().parents[1]
SHARED_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
COMMANDS = [
    ("business", "load_sample_data"),
    ("business", "cleanup"),
    ("servicetitan", "load"),
    ("servicetitan", "add_credential"),
    ("servicetitan", "set_tenant_id"),
    ("admin", "serve"),
    ("platform", "migrate"),
]


# A command refused for its arguments (exit status 2): nothing should start.
REFUSED = ["business", "maintain_partitions", "--retention_months=abc"]


def cases(database_url: str) -> list[tuple[str, list[str], dict, int]]:
    """(name, command line, environment, the exit status it must end with)."""
    embedded = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    with_url = {**embedded, "DATABASE_URL": database_url}
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], embedded, 0),
        ("piccolo --help, DATABASE_URL", [PICCOLO, "--help"], with_url, 0),
        ("piccolo --help, embedded", [PICCOLO, "--help"], embedded, 0),
        ("piccolo business --help, embedded", [PICCOLO, "business", "--help"], embedded, 0),
        *(
            (f"piccolo {app} {name} --help, embedded", [PICCOLO, app, name, "--help"], embedded, 0)
            for app, name in COMMANDS
        ),
        ("a refused argument (--retention_months=abc), embedded", [PICCOLO, *REFUSED], embedded, 2),
    ]


def server_log_size(project: Path) -> int:
    log = project / ".embedded-pg" / "log"
    return log.stat().st_size if log.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--project", type=Path, action="append",
        help="a checkout to time (repeat it to compare checkouts; default: this one)",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or SHARED_SERVER)
    options = parser.parse_args()
    projects = [p.resolve() for p in options.project or [PROJECT]]
    os.environ["PLATFORM_DB_QUIET"] = "1"
    os.environ.pop("PLATFORM_EMBEDDED_DIR", None)
    runs = cases(options.database_url)
    timings = {(project, name): [] for project in projects for name, *_ in runs}
    started = dict.fromkeys(timings, 0)
    missing = set()
    for round_number in range(options.runs + 1):  # round 0 warms up (initdb, caches)
        for project in projects:
            for name, command, env, status in runs:
                log_before = server_log_size(project)
                began = time.perf_counter()
                done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
                elapsed = time.perf_counter() - began
                if done.returncode != status:
                    raise SystemExit(f"{name} failed in {project}:\n{done.stdout}{done.stderr}")
                if "Unrecognised command - " in done.stdout:
                    missing.add((project, name))  # a command this checkout does not have
                if round_number:
                    timings[project, name].append(elapsed)
                    started[project, name] += server_log_size(project) > log_before
    print(f"{options.runs} interleaved runs of each case; seconds, on a shared and noisy machine")
    for project in projects:
        reference = statistics.median(timings[project, "piccolo --help, DATABASE_URL"])
        print(f"\n{project}")
        print(f"{'case':55} {'median':>7} {'min':>7} {'vs URL':>7}  server started")
        for name, *_ in runs:
            if (project, name) in missing:
                print(f"{name:55} (unrecognised in this checkout)")
                continue
            values = timings[project, name]
            median = statistics.median(values)
            print(
                f"{name:55} {median:7.3f} {min(values):7.3f} {median / reference:6.2f}x"
                f"  {started[project, name]}/{options.runs}"
            )


if __name__ == "__main__":
    main()
