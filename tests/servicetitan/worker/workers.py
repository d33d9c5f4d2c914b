"""Worker processes for the queue's journey tests: ``piccolo servicetitan
worker`` started as an operator starts it, in a subprocess, on a database of
the test's own (``migrated_copy``) against the fake ServiceTitan, with
seconds-long periods; and the tenants it syncs, made on that database the
way the commands make them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from platform_db.secrets import encryption
from tests.support.commands import PICCOLO, PROJECT

# Seconds-long periods, so a test sees several periods in a few seconds. A
# worker is taken for dead after 6 s without a heartbeat: on two busy shared
# cores a live worker's loop has been seen to miss 3 s of them.
FAST = {
    "SERVICETITAN_SYNC_EVERY": "10",
    "SERVICETITAN_CAUGHT_UP_REST": "2",
    "SERVICETITAN_SCHEDULE_TICK": "1",
    "SERVICETITAN_WORKER_HEARTBEAT": "1",
    "SERVICETITAN_WORKER_STALLED_AFTER": "6",
    "SERVICETITAN_RETRY_BACKOFF": "0.5",
    "PLATFORM_DB_QUIET": "1",
}


@dataclass
class Worker:
    process: subprocess.Popen
    output: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)


@dataclass
class Workers:
    """The worker processes a test started; each ended after the test."""

    url: str
    env: dict[str, str]
    folder: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, concurrency: int = 4, **env: str) -> Worker:
        output = self.folder / f"worker-{len(self.started) + 1}.log"
        process = subprocess.Popen(
            [PICCOLO, "servicetitan", "worker", f"--concurrency={concurrency}"],
            cwd=PROJECT,
            env={**os.environ, **FAST, **self.env, "DATABASE_URL": self.url, **env},
            stdin=subprocess.DEVNULL,
            stdout=output.open("w"),
            stderr=subprocess.STDOUT,
        )
        worker = Worker(process, output)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGKILL)
                worker.process.wait(30)


async def add_tenants(url: str, fake, tenant_ids) -> dict[int, uuid.UUID]:
    """A company and its integration credentials for each of the fake's
    tenants (its client id and secret, the secret encrypted as
    ``ServiceTitanCredential.register`` stores it); their ids by tenant."""
    connection = await asyncpg.connect(url)
    try:
        ids = {}
        for tenant_id in tenant_ids:
            tenant = fake.tenants[tenant_id]
            company = await connection.fetchval(
                "INSERT INTO companies (name) VALUES ($1) RETURNING id", f"Salon {tenant_id}"
            )
            ids[tenant_id] = await connection.fetchval(
                """
                INSERT INTO servicetitan_credentials
                    (company_id, environment, client_id, client_secret, tenant_id)
                VALUES ($1, 'integration', $2, $3, $4)
                RETURNING id
                """,
                company,
                tenant.client_id,
                encryption.encrypt(tenant.client_secret),
                tenant_id,
            )
        return ids
    finally:
        await connection.close()


async def until(condition, timeout: float, what: str, interval: float = 0.2, url=None):
    """Poll ``await condition()`` until it is truthy; its value. The deadline
    is the test's own (taken when it starts waiting). On a timeout the
    message has the queue and the sync logs of ``url``'s database."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not within {timeout} s: {what}" + (await state(url) if url else "")
            )
        await asyncio.sleep(interval)


async def state(url: str) -> str:
    """The sync jobs and sync logs of ``url``'s database, as text."""
    connection = await asyncpg.connect(url)
    try:
        jobs = await connection.fetch(
            "SELECT id, task_name, status, args, attempts, worker_id FROM procrastinate_jobs"
            " ORDER BY id"
        )
        logs = await connection.fetch(
            "SELECT c.tenant_id, l.data_type, l.status, l.started_at, l.error_message"
            " FROM servicetitan_sync_logs l"
            " JOIN servicetitan_credentials c ON c.id = l.servicetitan_credential_id"
            " ORDER BY l.started_at"
        )
        sessions = await connection.fetch(
            "SELECT pid, application_name, state, wait_event_type, wait_event,"
            " left(query, 100) AS query FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return "".join(
        f"\n{kind} {dict(row)}"
        for kind, rows in (("job", jobs), ("log", logs), ("session", sessions))
        for row in rows
    )
