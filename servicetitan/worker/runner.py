"""``piccolo servicetitan worker``: one worker process of the sync queue.

It takes sync jobs (``jobs``) and the periodic ticks (``periodic``) from the
queue, ``concurrency`` at a time, until it is told to stop. SIGTERM or
SIGINT: it takes no further job, each run in flight stops after its page in
flight has committed (the sync log closed as failed, saying so; the job back
in the queue for any worker), and it exits 0. A second signal cancels the
runs at once (their page in flight rolled back, their logs closed as failed).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys

from procrastinate.worker import Worker

from servicetitan.tables import ServiceTitanCredential
from servicetitan.worker import jobs, metrics, periodic
from servicetitan.worker.queue import QUEUE, app, listens
from servicetitan.worker.settings import Settings

HOST = socket.gethostname()

REGISTER_HOST_SQL = """
INSERT INTO public.sync_queue_workers (worker_id, host, pid, concurrency)
VALUES (%s, %s, %s, %s)
"""


def say(line: str) -> None:
    print(f"[worker] {line}", file=sys.stderr, flush=True)


class OneLine(logging.Formatter):
    """A log record as one line: a job's failure is its exception's type and
    message (the sync log has the rest); ``PLATFORM_TRACE=1`` adds the
    traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"[worker] {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line += f": {type(exc).__name__}: {' '.join(str(exc).split())}"
            if os.environ.get("PLATFORM_TRACE") == "1":
                line += "\n" + self.formatException(record.exc_info)
        return line


def _log_to_stderr() -> None:
    """procrastinate's and the API client's warnings (a job failed, a request
    sent again), one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)


async def _register_host(worker: Worker, run: asyncio.Task, concurrency: int) -> None:
    """Once procrastinate has registered the worker: where it runs."""
    while worker.worker_id is None and not run.done():
        await asyncio.sleep(0.01)
    if worker.worker_id is None:
        return
    async with app.connector.pool.connection() as connection:
        await connection.execute(
            REGISTER_HOST_SQL, (worker.worker_id, HOST, os.getpid(), concurrency)
        )
    say(f"worker {worker.worker_id} on {HOST} (pid {os.getpid()}) takes jobs")


async def run_worker(concurrency: int, metrics_port: int = 0, metrics_host: str = "127.0.0.1"):
    settings = Settings.from_environment()
    periodic.register(settings)
    assert jobs.SYNC_TASK in app.tasks
    metrics.count_api_events()
    _log_to_stderr()
    if metrics_port:
        metrics.serve(metrics_port, metrics_host)
        say(f"metrics on http://{metrics_host}:{metrics_port}/metrics")
    listen = await listens()
    if not listen:
        say(
            "the queue's address goes through a pooler (set DATABASE_DIRECT_URL to the "
            "server's own): polling for new jobs every second instead of LISTEN"
        )
    engine = ServiceTitanCredential._meta.db
    await engine.start_connection_pool(min_size=1, max_size=concurrency + 2)
    stopping = asyncio.Event()
    try:
        async with app.open_async():
            worker = Worker(
                app,
                queues=[QUEUE],
                name=f"{HOST}:{os.getpid()}",
                concurrency=concurrency,
                listen_notify=listen,
                fetch_job_polling_interval=min(5.0, settings.tick) if listen else 1.0,
                update_heartbeat_interval=settings.heartbeat,
                stalled_worker_timeout=settings.stalled_after,
                additional_context={"stopping": stopping},
                install_signal_handlers=False,
            )
            run = asyncio.create_task(worker.run(), name="worker")
            _handle_signals(worker, run, stopping)
            await _register_host(worker, run, concurrency)
            await run
    finally:
        await engine.close_connection_pool()
    say("stopped")


def _handle_signals(worker: Worker, run: asyncio.Task, stopping: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def stop(name: str) -> None:
        if stopping.is_set():
            say(f"{name} again: cancelling the runs in flight")
            run.cancel()
            return
        say(f"{name}: taking no further job; runs in flight stop after their page")
        stopping.set()
        worker.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig.name)
