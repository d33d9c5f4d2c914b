"""Fixtures of the servicetitan tests: a company with its credentials for a
ServiceTitan tenant of their own, which sync runs are logged against."""

import uuid

import pytest

from business.tables import Company
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
