"""A failed sync run is recorded whatever its error says, and the caller gets
that error: no log is left ``running`` because its failure could not be
stored."""

import logging

import pytest

from servicetitan.cache.raw_tables import StJob
from servicetitan.sync.run import MAX_MESSAGE_LENGTH, run_sync
from servicetitan.tables import ServiceTitanSyncLog
from tests.conftest import TEST_DATABASE_URL
from tests.servicetitan.records import job
from tests.support.databases import connect, run_sync as run_coroutine


class PageError(Exception):
    pass


async def _only_log(credential):
    logs = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    )
    assert len(logs) == 1
    return logs[0]


def failing_pages(error: Exception):
    yield [job(1)]
    raise error


@pytest.mark.parametrize(
    "text,stored",
    [
        ("bad byte \x00 in the page", "bad byte \\x00 in the page"),
        ("lone \ud800 surrogate", "lone ? surrogate"),
    ],
    ids=["nul", "surrogate"],
)
async def test_an_error_text_postgres_cannot_store_still_fails_the_log(
    conn, credential, tenant, text, stored
):
    with pytest.raises(PageError) as raised:
        await run_sync(credential, StJob, failing_pages(PageError(text)), full=True)
    assert str(raised.value) == text  # the caller's error, not the database's
    log = await _only_log(credential)
    assert log["status"] == "failed" and log["completed_at"] is not None
    assert f"PageError: {stored}" in log["error_message"]
    state = await conn.fetchrow(
        "SELECT last_error FROM raw.sync_state WHERE tenant_id = $1 AND table_name = 'st_jobs'",
        tenant,
    )
    assert f"PageError: {stored}" in state["last_error"]


async def test_a_huge_error_text_is_cut(credential):
    with pytest.raises(PageError):
        await run_sync(credential, StJob, failing_pages(PageError("x" * 1_000_000)), full=True)
    log = await _only_log(credential)
    assert log["status"] == "failed"
    assert len(log["error_message"]) == MAX_MESSAGE_LENGTH
    assert log["error_message"].endswith("…")


async def test_the_callers_error_survives_a_failure_that_cannot_be_recorded(
    credential, caplog
):
    """The log's row is gone (its credential deleted mid-run): recording the
    failure fails too, which is logged, and the caller still gets its error."""

    def pages():
        yield [job(1)]

        async def delete_credential():
            other = await connect(TEST_DATABASE_URL)
            try:
                # Sync logs are history: they go only with their credential.
                await other.execute(
                    "DELETE FROM servicetitan_credentials WHERE id = $1", credential.id
                )
            finally:
                await other.close()

        run_coroutine(delete_credential())
        raise PageError("the real cause")

    caplog.set_level(logging.WARNING, logger="servicetitan.sync.run")
    with pytest.raises(PageError, match="the real cause"):
        await run_sync(credential, StJob, pages(), full=True)
    assert "could not be recorded" in caplog.text
    assert not await ServiceTitanSyncLog.exists().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    )
