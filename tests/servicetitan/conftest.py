import uuid

import pytest

from business.tables import Company
from servicetitan.tables import ServiceTitanCredential

CLIENT_SECRET = "cs-plaintext-7f3a9c"


@pytest.fixture
async def company(migrated):
    company = Company(name=f"Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    yield company
    await Company.delete().where(Company.id == company.id)


@pytest.fixture
async def credential(company):
    return await ServiceTitanCredential.register(
        company_id=company.id,
        environment="integration",
        client_id="client-123",
        client_secret=CLIENT_SECRET,
    )
