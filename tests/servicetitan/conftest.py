"""Fixtures of the servicetitan tests: a company with its credentials for a
ServiceTitan tenant of their own, which sync runs are logged against; and
``live``: such a credential for a tenant of the fake ServiceTitan."""

import json
import uuid
from dataclasses import dataclass

import pytest

from business.tables import Company
from servicetitan.api.settings import API_URL_VARIABLE, APP_KEY_VARIABLE, AUTH_URL_VARIABLE
from servicetitan.fake import FakeServiceTitan
from servicetitan.tables import ServiceTitanCredential
from tests.servicetitan.records import new_tenant

CLIENT_SECRET = "cs-plaintext-7f3a9c"


@pytest.fixture
def tenant():
    return new_tenant()


@pytest.fixture
async def company(migrated):
    company = Company(name=f"Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    yield company
    await Company.delete().where(Company.id == company.id)


@pytest.fixture
async def credential(company, tenant):
    credential = await ServiceTitanCredential.register(
        company_id=company.id,
        environment="integration",
        client_id="client-123",
        client_secret=CLIENT_SECRET,
        tenant_id=tenant,
    )
    return credential


@dataclass
class Live:
    """A tenant of the fake ServiceTitan and the credential that reaches it."""

    fake: FakeServiceTitan
    tenant_id: int
    credential: ServiceTitanCredential

    def newest(self, entity: str) -> dict[int, dict]:
        return self.fake.newest(self.tenant_id, entity)

    async def cached(self, conn, entity: str) -> dict[int, dict]:
        rows = await conn.fetch(
            f"SELECT id, full_data FROM raw.st_{entity} WHERE tenant_id = $1", self.tenant_id
        )
        return {row["id"]: json.loads(row["full_data"]) for row in rows}


@pytest.fixture
async def live(fake_servicetitan, company, monkeypatch):
    """A new tenant of the fake (its records as the test's marker says),
    the environment pointing at the fake, and the tenant's credential."""
    fake = fake_servicetitan
    tenant = fake.add_tenant(new_tenant())
    for name in (AUTH_URL_VARIABLE, API_URL_VARIABLE, APP_KEY_VARIABLE):
        monkeypatch.setenv(name, fake.env[name])
    credential = await ServiceTitanCredential.register(
        company.id, "integration", tenant.client_id, tenant.client_secret, tenant.tenant_id
    )
    return Live(fake, tenant.tenant_id, credential)
