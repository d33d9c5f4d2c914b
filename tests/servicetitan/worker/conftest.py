"""Fixtures of the sync queue's tests: the queue's app open on the test
database, and a credential's jobs and logs forgotten after each test."""

import pytest

from servicetitan.worker.queue import app


@pytest.fixture
async def queue(migrated):
    async with app.open_async():
        yield app


@pytest.fixture
async def queued_jobs(queue, conn):
    """The jobs of the test's credentials, deleted after it."""
    credentials: list[str] = []
    yield credentials
    await conn.execute(
        "DELETE FROM procrastinate_jobs WHERE args ->> 'credential_id' = ANY($1::text[])",
        [str(c) for c in credentials],
    )
