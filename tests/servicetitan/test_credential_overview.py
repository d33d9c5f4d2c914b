"""servicetitan_credential_overview derives, in the database, what an
operator asks of a credential: its token's state, whether each secret is
set, its last sync and whether it is failing; never a secret."""

from datetime import timedelta

import pytest

from servicetitan.api.tokens import REFRESH_MARGIN
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
from tests.support.databases import database_now


async def overview_of(conn, credential_id) -> dict:
    return dict(
        await conn.fetchrow(
            "SELECT * FROM servicetitan_credential_overview WHERE id = $1", credential_id
        )
    )


@pytest.mark.parametrize(
    "expires_in,state",
    [
        (timedelta(days=-1), "expired"),
        # Less than the client's refresh margin left: it no longer sends it.
        (REFRESH_MARGIN - timedelta(seconds=10), "expiring"),
        # A token the client still sends, as a healthy credential's most of the time
        # (ServiceTitan's tokens live 15 minutes).
        (REFRESH_MARGIN + timedelta(minutes=5), "valid"),
        (timedelta(minutes=15), "valid"),
        (timedelta(hours=3), "valid"),
    ],
)
async def test_the_token_state(conn, credential, expires_in, state):
    expires_at = await database_now(conn) + expires_in
    await credential.record_token_refresh("at-plain", "rt-plain", expires_at)
    row = await overview_of(conn, credential.id)
    assert row["token_state"] == state
    assert (row["client_secret_set"], row["access_token_set"], row["refresh_token_set"]) == (
        True,
        True,
        True,
    )


async def test_a_credential_without_a_token(conn, credential):
    row = await overview_of(conn, credential.id)
    assert row["token_state"] == "none"
    assert (row["access_token_set"], row["refresh_token_set"]) == (False, False)
    assert row["last_sync_id"] is None and row["failing"] is False


async def test_failing_when_in_error_or_when_the_last_sync_failed(conn, credential):
    older = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
    await older.complete(1, 1, 0)
    assert (await overview_of(conn, credential.id))["failing"] is False
    last = await ServiceTitanSyncLog.start(credential.id, "scheduled", "jobs")
    await last.fail("ServiceTitan answered 401")
    row = await overview_of(conn, credential.id)
    assert (row["last_sync_id"], row["last_sync_status"], row["failing"]) == (
        last.id,
        "failed",
        True,
    )
    assert row["last_sync_error"] == "ServiceTitan answered 401"
    newest = await ServiceTitanSyncLog.start(credential.id, "scheduled", "jobs")
    await newest.complete(0, 0, 0)
    assert (await overview_of(conn, credential.id))["failing"] is False
    await credential.record_connection_failure()
    assert (await overview_of(conn, credential.id))["failing"] is True


async def test_the_view_holds_no_secret(conn, credential):
    expires_at = await database_now(conn) + timedelta(hours=1)
    await credential.record_token_refresh("at-plain", "rt-plain", expires_at)
    row = await overview_of(conn, credential.id)
    assert not set(ServiceTitanCredential.SECRET_COLUMNS) & set(row)
    for value in row.values():
        assert not (isinstance(value, str) and value.startswith("gAAAA"))
