"""Secrets under concurrency and in logs."""

import asyncio
import logging
from datetime import datetime, timedelta

from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
from tests.servicetitan.conftest import CLIENT_SECRET


async def test_concurrent_token_refreshes_never_mix(credential):
    base = datetime(2031, 1, 1)
    copies = [
        await ServiceTitanCredential.objects().get(ServiceTitanCredential.id == credential.id)
        for _ in range(16)
    ]
    for round_ in range(5):
        await asyncio.gather(
            *(
                copy.record_token_refresh(
                    f"access-{round_}-{i}", f"refresh-{round_}-{i}", base + timedelta(minutes=i)
                )
                for i, copy in enumerate(copies)
            )
        )
        secrets = await credential.secrets()
        winner = secrets.access_token.removeprefix(f"access-{round_}-")
        assert secrets.refresh_token == f"refresh-{round_}-{winner}"
        row = await ServiceTitanCredential.select(ServiceTitanCredential.token_expires_at).where(
            ServiceTitanCredential.id == credential.id
        )
        assert row[0]["token_expires_at"] == base + timedelta(minutes=int(winner))


async def test_the_last_refresh_wins(credential):
    await credential.record_token_refresh("first", "first-r", datetime(2031, 1, 1))
    await credential.record_token_refresh("second", "second-r", datetime(2031, 1, 2))
    secrets = await credential.secrets()
    assert (secrets.access_token, secrets.refresh_token) == ("second", "second-r")


async def test_no_secret_reaches_logs_or_printed_queries(credential, caplog, capsys, migrated):
    caplog.set_level(logging.DEBUG)
    migrated.log_queries = migrated.log_responses = True
    try:
        await credential.record_token_refresh("tok-access-91", "tok-refresh-92", datetime(2031, 1, 1))
        fetched = await ServiceTitanCredential.objects().get(
            ServiceTitanCredential.id == credential.id
        )
        logging.getLogger("test").info("loaded %r", fetched)
        await fetched.secrets()
        log = await ServiceTitanSyncLog.start(credential.id, "manual", "both")
        await log.fail("token refresh failed", {"credential": str(credential.id)})
    finally:
        migrated.log_queries = migrated.log_responses = False
    captured = capsys.readouterr()
    output = caplog.text + captured.out + captured.err
    assert "UPDATE" in output  # the queries were printed, so the check means something
    for secret in (CLIENT_SECRET, "tok-access-91", "tok-refresh-92"):
        assert secret not in output
