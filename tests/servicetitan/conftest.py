"""Fixtures of the servicetitan tests: a tenant of their own and the
credentials a sync run is logged against."""

import pytest

from tests.servicetitan.records import new_tenant


@pytest.fixture
def tenant():
    return new_tenant()


@pytest.fixture
async def credential(migrated, tenant):
    """Production credentials of a new company, for ``tenant``."""
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential

    company = Company(name=f"Tenant {tenant}")
    await company.save()
    credential = await ServiceTitanCredential.register(
        company.id, "production", f"client-{tenant}", "secret"
    )
    await ServiceTitanCredential.update({ServiceTitanCredential.tenant_id: tenant}).where(
        ServiceTitanCredential.id == credential.id
    )
    credential.tenant_id = tenant
    return credential
