"""The "Test connection" action on a credential's page, against the fake
ServiceTitan: submitted as an operator does, it obtains a token and makes
one API call with the credential, and the page it leads to says how it
went, as recorded on the credential (never a secret)."""

from __future__ import annotations

import uuid

import pytest

from servicetitan.fake import Fault
from tests.admin.support import form_to, submit


@pytest.fixture
async def fake_credential(migrated, fake_servicetitan, monkeypatch):
    """A credential of a company of its own for a tenant of the fake."""
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential
    from tests.servicetitan.records import new_tenant

    tenant = fake_servicetitan.add_tenant(new_tenant(), records=1)
    for name, value in fake_servicetitan.env.items():
        if not name.startswith(("SERVICETITAN_TENANT", "SERVICETITAN_CLIENT")):
            monkeypatch.setenv(name, value)
    company = Company(name=f"Tested Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    credential = await ServiceTitanCredential.register(
        company.id, "integration", tenant.client_id, tenant.client_secret, tenant.tenant_id
    )
    yield credential, tenant.client_secret
    await Company.delete().where(Company.id == company.id)


async def test_test_connection_shows_its_outcome(client, fake_credential, fake_servicetitan):
    credential, secret = fake_credential
    page = await client.get(f"/inspect/credentials/{credential.id}/")
    assert "ServiceTitan issues no refresh token" in page.text
    tested = form_to(page.text, "/test-connection/")
    assert tested.action == f"/inspect/credentials/{credential.id}/test-connection/"

    done = await submit(client, tested)
    assert done.status_code == 303, done.text
    shown = await client.get(done.headers["location"])
    assert "Test connection: connected; the token expires at " in shown.text
    assert fake_servicetitan.counters.tokens_issued(credential.client_id) == 1

    fake_servicetitan.faults.add(Fault.invalid_client(), times=None)
    refused = await client.get((await submit(client, tested)).headers["location"])
    assert "Test connection: failed (error): ServiceTitan refused the client id" in refused.text
    assert "invalid_client" in refused.text
    assert secret not in refused.text and fake_servicetitan.app_key not in refused.text
