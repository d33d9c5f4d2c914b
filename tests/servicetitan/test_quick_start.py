"""The quick start of README.md and docs/servicetitan.md, run as a user
runs it: the two commands in bash from the project root, on a migrated
database with the sample salon's name, the fake ServiceTitan started by
the first (on a free port instead of 8765, then stopped)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess

import asyncpg

from tests.support.commands import PROJECT

BLOCK = re.compile(r"```bash\n(\.venv/bin/python -m servicetitan\.fake --port 8765 &.*?)```", re.S)


def quick_start(document: str) -> str:
    [block] = BLOCK.findall((PROJECT / document).read_text())
    return block


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_quick_start_syncs_every_feed_of_the_fake(migrated_copy, tmp_path):
    script = quick_start("docs/servicetitan.md")
    assert quick_start("README.md") == script
    url = migrated_copy()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO companies (name) VALUES ('Test salon')")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SERVICETITAN_")},
            "DATABASE_URL": url,
            "PLATFORM_DB_QUIET": "1",
        }
        # files, not pipes: the fake left in the background keeps its output open
        with open(tmp_path / "out", "w") as stdout, open(tmp_path / "err", "w") as stderr:
            run = subprocess.Popen(
                ["bash", "-c", script.replace("8765", str(free_port()))],
                cwd=PROJECT,
                env=env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
            try:
                run.wait(timeout=300)
            finally:
                os.killpg(run.pid, signal.SIGTERM)  # the fake it left in the background
        out, err = (tmp_path / "out").read_text(), (tmp_path / "err").read_text()
        assert run.returncode == 0, err
        assert out.splitlines()[-1] == "tenant 1000001: 7 completed", out
        cached = await conn.fetchval("SELECT count(*) FROM raw.st_jobs WHERE tenant_id = 1000001")
        assert cached == 100
    finally:
        await conn.close()
