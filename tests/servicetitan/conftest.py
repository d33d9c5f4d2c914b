"""Fixtures of the servicetitan tests: a company with its credentials for a
ServiceTitan tenant of their own, which sync runs are logged against."""

import uuid

import pytest
from cryptography.fernet import Fernet

from business.tables import Company
from platform_db.secrets import encryption
from servicetitan.commands.rotate_keys import ENCRYPTED_TABLES
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


class Keys:
    """The session's key (``old``) and a new one; ``use`` configures keys."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.old = encryption._configured_keys()[0]
        self.new = Fernet.generate_key().decode()

    def use(self, *keys: str) -> str:
        value = ",".join(keys)
        self.monkeypatch.setenv(encryption.KEYS_VARIABLE, value)
        return value


@pytest.fixture
async def keys(migrated, monkeypatch):
    """Afterwards every value is rotated back under the session's key, for the
    tests after this one."""
    keys = Keys(monkeypatch)
    yield keys
    keys.use(keys.old, keys.new)
    for table in ENCRYPTED_TABLES:
        await table.rotate_encryption()
