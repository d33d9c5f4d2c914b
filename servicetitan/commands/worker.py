"""``piccolo servicetitan worker``: a worker of the sync queue
(``servicetitan.worker``)."""

from __future__ import annotations

from typing import Annotated

from platform_db.cli import Bounds, CommandError, command
from servicetitan.worker.settings import InvalidSetting, Settings


@command
async def worker(
    concurrency: Annotated[int, Bounds(1, 50)] = 4,
    metrics_port: Annotated[int, Bounds(0, 65535)] = 0,
    metrics_host: str = "127.0.0.1",
):
    """Run a worker of the ServiceTitan sync queue until SIGTERM or Ctrl-C:
    every feed of every credential with a tenant id synced on its schedule
    (SERVICETITAN_SYNC_EVERY, default 10 minutes), "sync now" jobs from
    `piccolo servicetitan sync ... --queue` and the admin, jobs of dead
    workers run again. Start as many as you like, on any machine.

    :param concurrency:
        Sync jobs this worker runs at once (1 to 50).
    :param metrics_port:
        Serve Prometheus metrics at http://<metrics_host>:<port>/metrics
        (0: none).
    :param metrics_host:
        The address the metrics are served on (0.0.0.0: every interface).
    """
    try:
        Settings.from_environment()
    except InvalidSetting as exc:
        raise CommandError(str(exc)) from None
    # Imported here: procrastinate and psycopg take ~0.7 s to import, which
    # every other piccolo command (and --help) would pay.
    from servicetitan.worker.runner import run_worker

    await run_worker(concurrency, metrics_port, metrics_host)
