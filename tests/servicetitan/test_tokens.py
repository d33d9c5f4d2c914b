"""A credential's access token, against the fake ServiceTitan: obtained with
the stored client id and secret, stored encrypted with its expiry from
``expires_in``, reused by every process until shortly before it expires,
refreshed once at a time across sessions, and every attempt recorded
truthfully on the credential."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import contextmanager
import os
import socket
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest

from servicetitan.api import tokens
from servicetitan.api.client import check_connection
from servicetitan.api.errors import NotConfigured, Unreachable
from servicetitan.api.settings import APP_KEY_VARIABLE, ApiSettings
from servicetitan.api.tokens import REFRESH_MARGIN, CredentialTokens
from servicetitan.fake import Fault
from servicetitan.tables import ServiceTitanCredential
from tests.support.commands import PROJECT


@contextmanager
def socket_nobody_listens_on():
    """A local port bound but not listening: a connection is refused at once."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


def fresh_process():
    """As a new process finds it: no token in memory."""
    tokens._tokens.clear()


async def reread(credential) -> ServiceTitanCredential:
    return await ServiceTitanCredential.objects().get(ServiceTitanCredential.id == credential.id)


async def obtain(credential, settings=None) -> str:
    settings = settings or ApiSettings.for_environment(credential.environment)
    async with httpx.AsyncClient() as http:
        return await CredentialTokens(credential, settings, http).current()


def test_without_the_app_key_a_call_is_refused_in_one_line():
    with pytest.raises(NotConfigured) as refused:
        ApiSettings.for_environment("production", {})
    assert str(refused.value).startswith("SERVICETITAN_APP_KEY is not set:")
    settings = ApiSettings.for_environment("integration", {APP_KEY_VARIABLE: "ak-secret"})
    assert settings.api_url == "https://api-integration.servicetitan.io"
    assert settings.token_url == "https://auth-integration.servicetitan.io/connect/token"
    assert "ak-secret" not in repr(settings)
    with pytest.raises(NotConfigured, match="SERVICETITAN_API_URL must be an http"):
        ApiSettings.for_environment(
            "integration", {APP_KEY_VARIABLE: "k", "SERVICETITAN_API_URL": "localhost:8000"}
        )


@pytest.mark.fake_servicetitan(token_lifetime=900)
async def test_a_token_is_stored_encrypted_with_its_expiry_and_the_credential_active(conn, live):
    before = await conn.fetchval("SELECT now() AT TIME ZONE 'UTC'")
    token = await obtain(live.credential)
    after = await conn.fetchval("SELECT now() AT TIME ZONE 'UTC'")

    row = await conn.fetchrow(
        "SELECT * FROM servicetitan_credentials WHERE id = $1", live.credential.id
    )
    assert row["access_token"] != token and token not in row["access_token"]
    assert (await live.credential.stored_token()).access_token == token
    assert row["refresh_token"] is None  # ServiceTitan issues none
    lifetime = timedelta(seconds=900)
    assert before + lifetime <= row["token_expires_at"] + timedelta(seconds=1)
    assert row["token_expires_at"] <= after + lifetime
    assert row["connection_status"] == "active" and row["connection_error"] is None
    assert before <= row["last_connection_attempt"]


@pytest.mark.fake_servicetitan()
async def test_every_process_reuses_the_stored_token_until_shortly_before_it_expires(conn, live):
    first = await obtain(live.credential)
    fresh_process()
    assert await obtain(live.credential) == first
    assert live.fake.counters.tokens_issued(live.credential.client_id) == 1

    # REFRESH_MARGIN before its expiry it is no longer used
    await conn.execute(
        "UPDATE servicetitan_credentials SET token_expires_at = "
        "now() AT TIME ZONE 'UTC' + $2 - interval '1 second' WHERE id = $1",
        live.credential.id,
        REFRESH_MARGIN,
    )
    fresh_process()
    assert await obtain(live.credential) != first
    assert live.fake.counters.tokens_issued(live.credential.client_id) == 2


@pytest.mark.fake_servicetitan()
async def test_one_refresh_at_a_time_the_others_wait_and_reuse_it(conn, live):
    """Eight clients, each on its own database session as eight processes
    would be, find no usable token at once: one token is obtained."""

    async def as_a_process():
        settings = ApiSettings.for_environment(live.credential.environment)
        async with httpx.AsyncClient() as http:
            return (await CredentialTokens(live.credential, settings, http).refresh()).value

    got = await asyncio.gather(*(as_a_process() for _ in range(8)))
    assert len(set(got)) == 1
    assert live.fake.counters.tokens_issued(live.credential.client_id) == 1


@pytest.mark.fake_servicetitan()
async def test_processes_started_together_obtain_one_token(conn, live):
    # a slow token endpoint: the processes' requests would overlap
    live.fake.faults.add(Fault.slow(2), path="/connect/token", times=None)
    script = (
        "import asyncio, piccolo_conf\n"
        "from servicetitan.api.tokens import CredentialTokens\n"
        "from servicetitan.api.settings import ApiSettings\n"
        "from servicetitan.tables import ServiceTitanCredential as C\n"
        "import httpx\n"
        "async def main():\n"
        f"    c = await C.objects().get(C.id == '{live.credential.id}')\n"
        "    async with httpx.AsyncClient() as http:\n"
        "        t = CredentialTokens(c, ApiSettings.for_environment(c.environment), http)\n"
        "        await t.current()\n"
        "asyncio.run(main())\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=PROJECT,
            env={**os.environ, "PLATFORM_DB_QUIET": "1"},
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    assert live.fake.counters.tokens_issued(live.credential.client_id) == 1


@pytest.mark.fake_servicetitan()
async def test_an_unreachable_servicetitan_is_not_the_credentials_fault(conn, live):
    await check_connection(live.credential)
    assert (await reread(live.credential)).connection_status == "active"
    with socket_nobody_listens_on() as port:
        settings = dataclasses.replace(
            ApiSettings.for_environment("integration"), auth_url=f"http://127.0.0.1:{port}"
        )
        fresh_process()
        with pytest.raises(Unreachable, match="could not reach ServiceTitan's token endpoint"):
            await check_connection(live.credential, settings)
    after = await reread(live.credential)
    assert after.connection_status == "active"  # unchanged
    assert "could not reach ServiceTitan's token endpoint" in after.connection_error
