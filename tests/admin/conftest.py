"""The admin under test: the real ASGI app in process (httpx's ASGITransport),
an admin user, and a credential whose secrets the tests know, so they can
look for them (and for their ciphertexts) in everything the admin sends."""

from __future__ import annotations

import secrets
import uuid

import pytest

from tests.admin.support import KnownCredential, asgi_client, create_admin_user, log_in


@pytest.fixture(scope="session")
def admin_app(migrated):
    """The app the tests share; its login limits are generous, since every
    test logs in from the same address (the limits' own tests make apps
    with the real ones)."""
    from admin.app import create_app
    from admin.throttle import AdminThrottle

    return create_app(throttle=AdminThrottle(address_limit=10_000, pair_failures=10_000))


@pytest.fixture(scope="session")
async def admin_username(migrated):
    return await create_admin_user()


@pytest.fixture(scope="session")
async def client(admin_app, admin_username):
    """Logged in once for the session: the login is rate-limited per app."""
    async with asgi_client(admin_app) as client:
        response = await log_in(client, admin_username)
        assert response.status_code == 200, response.text
        yield client


@pytest.fixture(scope="session")
async def superuser(admin_app, migrated):
    async with asgi_client(admin_app) as client:
        response = await log_in(client, await create_admin_user(superuser=True))
        assert response.status_code == 200, response.text
        yield client


@pytest.fixture
async def anonymous(admin_app):
    async with asgi_client(admin_app) as client:
        yield client


@pytest.fixture(scope="session")
async def known_credential(migrated) -> KnownCredential:
    """A credential with a token pair, every secret random and known."""
    from datetime import datetime, timedelta, timezone

    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential

    company = Company(name=f"Admin Test Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    plaintexts = tuple(f"{kind}-{secrets.token_urlsafe(24)}" for kind in ("cs", "at", "rt"))
    credential = await ServiceTitanCredential.register(
        company.id, "production", f"client-{uuid.uuid4().hex[:8]}", plaintexts[0]
    )
    await credential.record_token_refresh(
        plaintexts[1], plaintexts[2], datetime.now(timezone.utc) + timedelta(hours=1)
    )
    stored = (
        await ServiceTitanCredential.select(
            *ServiceTitanCredential._secret_columns(), exclude_secrets=False
        )
        .where(ServiceTitanCredential.id == credential.id)
        .first()
    )
    return KnownCredential(credential.id, plaintexts, tuple(stored.values()))


@pytest.fixture(scope="session")
async def failed_log(known_credential):
    from servicetitan.tables import ServiceTitanSyncLog

    log = await ServiceTitanSyncLog.start(known_credential.id, "scheduled", "invoices")
    await log.fail(
        "ServiceTitan answered 503 on /invoices",
        {"status": 503, "endpoint": "/invoices", "retry_after_seconds": 30},
        processed=120,
        successful=100,
        failed=20,
    )
    return log


@pytest.fixture(scope="session")
async def synced_tenant(known_credential) -> int:
    """The credential's ServiceTitan tenant after two real sync runs: jobs
    cached (a full sync), then a locations sync that failed on its second
    page; ``raw.sync_state`` and the sync logs record both."""
    from servicetitan.cache.raw_tables import StJob, StLocation
    from servicetitan.sync.run import run_sync
    from servicetitan.tables import ServiceTitanCredential
    from tests.servicetitan.records import job, location, new_tenant

    credential = await ServiceTitanCredential.objects().get(
        ServiceTitanCredential.id == known_credential.id
    )
    await credential.change(tenant_id=new_tenant())
    await run_sync(
        credential, StJob, [[job(1), job(2)], [job(3, jobStatus="Completed")]], full=True
    )

    def pages_until_a_rate_limit():
        yield [location(1)]
        raise ConnectionError("ServiceTitan answered 429 Too Many Requests")

    with pytest.raises(ConnectionError):
        await run_sync(credential, StLocation, pages_until_a_rate_limit(), full=False)
    return credential.tenant_id


async def make_expiring(credential_id) -> None:
    """The credential's token due just under the client's refresh margin
    after the database's now (``expiring`` for as long as that margin)."""
    from datetime import timedelta

    from platform_db.database.connection import connection
    from servicetitan.api.tokens import REFRESH_MARGIN
    from servicetitan.tables import ServiceTitanCredential

    async with connection(ServiceTitanCredential) as conn:
        await conn.execute(
            "UPDATE servicetitan_credentials"
            " SET token_expires_at = (now() AT TIME ZONE 'UTC') + $2::interval"
            " WHERE id = $1",
            credential_id,
            REFRESH_MARGIN - timedelta(seconds=1),
        )


@pytest.fixture
async def fleet(fleet_made):
    """``fleet_made``, its ``expiring`` token made expiring again when each
    test takes it: made once for the session, it would be expired by then
    (a test that looks at it later in its course calls ``make_expiring``)."""
    await make_expiring(fleet_made["expiring"])
    return fleet_made


@pytest.fixture(scope="session")
async def fleet_made(known_credential, failed_log):
    """Credentials in every state an operator asks about, each of its own
    company: ``valid`` (known_credential, whose last sync failed),
    ``error``, ``expired``, ``expiring`` (see ``fleet``), ``no_token``; and
    ``stuck``, a sync of the expired one running for three hours."""
    from datetime import datetime, timedelta, timezone

    from business.tables import Company
    from platform_db.database.connection import connection
    from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
    from tests.support.history import clock_guard_off

    now = datetime.now(timezone.utc)
    made = {"valid": known_credential.id}
    for state in ("error", "expired", "expiring", "no_token"):
        company = Company(name=f"Fleet {state} {uuid.uuid4().hex[:4]}")
        await company.save()
        credential = await ServiceTitanCredential.register(
            company.id, "production", f"client-{state}", f"cs-{secrets.token_urlsafe(8)}"
        )
        expires = {"expired": now - timedelta(days=1), "expiring": now}
        if state in ("error", "expired", "expiring"):
            await credential.record_token_refresh(
                f"at-{state}", f"rt-{state}", expires.get(state, now + timedelta(hours=5))
            )
        if state == "error":
            await credential.record_connection_failure()
        made[state] = credential.id
    stuck = await ServiceTitanSyncLog.start(made["expired"], "scheduled", "jobs")
    async with connection(ServiceTitanSyncLog) as conn, clock_guard_off(conn):
        # As if it had started 3 hours ago (a time no SQL may write: see tests.support.history).
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET started_at = started_at - interval '3 hours'"
            " WHERE id = $1",
            stuck.id,
        )
    made["stuck"] = stuck.id
    return made
