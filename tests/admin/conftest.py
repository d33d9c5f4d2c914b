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
    from admin.app import create_app

    return create_app()


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
    stored = await ServiceTitanCredential.select(
        *ServiceTitanCredential._secret_columns(), exclude_secrets=False
    ).where(ServiceTitanCredential.id == credential.id).first()
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
