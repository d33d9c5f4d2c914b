"""README.md's worker block (docs/servicetitan.md's too), run as a user runs it after the quick start
(tests/servicetitan/test_quick_start.py): in the same bash, the fake
ServiceTitan's environment in place, "sync now" queues the jobs feed and
the worker runs it as a manual run, then the schedule's runs of every
feed, while it serves its metrics; SIGTERM ends it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import urllib.request

import asyncpg

from tests.servicetitan.test_quick_start import free_port, quick_start
from tests.servicetitan.worker.workers import until
from tests.support.commands import PROJECT

BLOCK = re.compile(r"```bash\n(\.venv/bin/piccolo servicetitan sync jobs .*?--queue.*?)```", re.S)


async def test_the_readme_worker_syncs_the_quick_starts_tenant(migrated_copy, tmp_path):
    [worker_block] = BLOCK.findall((PROJECT / "README.md").read_text())
    assert BLOCK.findall((PROJECT / "docs/servicetitan.md").read_text()) == [worker_block]
    fake_port, metrics_port = free_port(), free_port()
    script = (quick_start("README.md") + worker_block).replace("8765", str(fake_port))
    script = script.replace("9464", str(metrics_port))
    url = migrated_copy()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO companies (name) VALUES ('Test salon')")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SERVICETITAN_")},
            "DATABASE_URL": url,
            "PLATFORM_DB_QUIET": "1",
            "SERVICETITAN_SCHEDULE_TICK": "1",
            # the quick start has just caught the feeds up: no rest, so the
            # queued run reads the feed again instead of being skipped
            "SERVICETITAN_CAUGHT_UP_REST": "0",
        }
        with open(tmp_path / "out", "w") as stdout, open(tmp_path / "err", "w") as stderr:
            run = subprocess.Popen(
                ["bash", "-c", script],
                cwd=PROJECT,
                env=env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
            try:

                async def manual_jobs_run():
                    return (
                        await conn.fetchval(
                            "SELECT count(*) FROM servicetitan_sync_logs"
                            " WHERE sync_type = 'manual' AND data_type = 'jobs' AND status <> 'running'"
                        )
                        == 2
                    )  # the quick start's, then the queued one

                await until(manual_jobs_run, timeout=120, what="the queued sync ran", url=url)
                metrics = await asyncio.to_thread(
                    lambda: urllib.request.urlopen(
                        f"http://127.0.0.1:{metrics_port}/metrics", timeout=10
                    )
                    .read()
                    .decode()
                )
                assert 'servicetitan_sync_runs_total{feed="jobs",outcome=' in metrics
            finally:
                os.killpg(run.pid, signal.SIGTERM)  # the worker, and the fake it left behind
                run.wait(60)
        out = (tmp_path / "out").read_text()
        assert "jobs: queued as job " in out, out
        # the queued run went on from where the quick start's left the feed: nothing new
        log = await conn.fetchrow(
            "SELECT status, records_processed FROM servicetitan_sync_logs"
            " WHERE sync_type = 'manual' AND data_type = 'jobs' ORDER BY started_at DESC LIMIT 1"
        )
        assert tuple(log) == ("completed", 0), (tuple(log), (tmp_path / "err").read_text())
        assert not await conn.fetchval(
            "SELECT count(*) FROM servicetitan_sync_logs WHERE status = 'running'"
        )
    finally:
        await conn.close()
