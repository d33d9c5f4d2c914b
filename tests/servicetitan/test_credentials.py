"""Credentials: seed 000's constraints enforced by PostgreSQL, secrets
encrypted at rest and kept out of default selects and repr."""

from datetime import datetime, timedelta, timezone

import asyncpg
import pytest
from cryptography.fernet import Fernet

from platform_db import encryption
from platform_db.choices import InvalidChoice
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
from tests.servicetitan.conftest import CLIENT_SECRET

INSERT = """
    INSERT INTO servicetitan_credentials (company_id, environment, client_id, client_secret)
    VALUES ($1, $2, 'raw-client', 'raw-secret') RETURNING id
"""


async def test_secret_is_ciphertext_in_the_database(conn, credential):
    stored = await conn.fetchval(
        "SELECT client_secret FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert CLIENT_SECRET not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert (await credential.secrets()).client_secret == CLIENT_SECRET


async def test_default_select_and_repr_leave_secrets_out(credential):
    row = await ServiceTitanCredential.select().where(ServiceTitanCredential.id == credential.id)
    assert set(ServiceTitanCredential.SECRET_COLUMNS).isdisjoint(row[0])
    assert row[0]["client_id"] == "client-123"
    explicit = await ServiceTitanCredential.select(exclude_secrets=False).where(
        ServiceTitanCredential.id == credential.id
    )
    assert explicit[0]["client_secret"].startswith("gAAAAA")
    secrets = await credential.secrets()
    for text in (repr(credential), repr(secrets), str(secrets)):
        assert CLIENT_SECRET not in text and "gAAAAA" not in text


@pytest.mark.parametrize("environment", ["staging", "", "Production"])
async def test_environment_outside_the_enum_is_refused(conn, company, environment):
    with pytest.raises(asyncpg.CheckViolationError, match="environment_check"):
        await conn.fetchval(INSERT, company.id, environment)
    with pytest.raises(InvalidChoice, match=r"servicetitan_credentials\.environment"):
        await ServiceTitanCredential.register(company.id, environment, "c", "s")
    assert await conn.fetchval(
        "SELECT count(*) FROM servicetitan_credentials WHERE company_id = $1", company.id
    ) == 0


async def test_connection_status_outside_the_enum_is_refused(conn, credential):
    with pytest.raises(asyncpg.CheckViolationError, match="connection_status_check"):
        await conn.execute(
            "UPDATE servicetitan_credentials SET connection_status = 'broken' WHERE id = $1",
            credential.id,
        )


async def test_defaults_from_the_seed(conn, company):
    row = await conn.fetchrow(
        INSERT.replace("RETURNING id", "RETURNING *"), company.id, "production"
    )
    assert row["connection_status"] == "inactive"
    assert row["created_at"] is not None and row["updated_at"] is not None
    assert row["access_token"] is None and row["token_expires_at"] is None


async def test_one_credential_per_company_and_environment(conn, company, credential):
    with pytest.raises(asyncpg.UniqueViolationError, match="company_id_environment_key"):
        await conn.fetchval(INSERT, company.id, "integration")
    assert await conn.fetchval(INSERT, company.id, "production")


async def test_unknown_company_is_refused(conn, migrated):
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="company_id_fkey"):
        await conn.fetchval(INSERT, "00000000-0000-0000-0000-000000000000", "production")


async def test_deleting_a_company_removes_its_credentials_and_their_logs(conn, company, credential):
    log = await ServiceTitanSyncLog.start(credential.id, "manual", "customers")
    await conn.execute("DELETE FROM companies WHERE id = $1", company.id)
    assert await conn.fetchval(
        "SELECT count(*) FROM servicetitan_credentials WHERE id = $1", credential.id
    ) == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM servicetitan_sync_logs WHERE id = $1", log.id
    ) == 0


async def test_token_refresh_sets_token_expiry_and_status(conn, credential):
    expires = datetime(2030, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    await credential.record_token_refresh("access-abc", "refresh-xyz", expires)
    row = await conn.fetchrow(
        "SELECT * FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert row["connection_status"] == "active"
    assert row["token_expires_at"] == datetime(2030, 1, 1, 9, 0)  # stored as UTC
    assert row["last_connection_attempt"] is not None
    assert "access-abc" not in row["access_token"] and "refresh-xyz" not in row["refresh_token"]
    secrets = await credential.secrets()
    assert (secrets.access_token, secrets.refresh_token) == ("access-abc", "refresh-xyz")


async def test_connection_failure_is_recorded(conn, credential):
    await credential.record_connection_failure()
    status = await conn.fetchval(
        "SELECT connection_status FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert status == "error"


async def test_raw_sql_update_moves_updated_at(conn, credential):
    before = await conn.fetchval(
        "SELECT updated_at FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    await conn.execute(
        "UPDATE servicetitan_credentials SET client_id = 'changed' WHERE id = $1", credential.id
    )
    after = await conn.fetchval(
        "SELECT updated_at FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert after > before
    # UTC, whatever the session's time zone: compare with the server's UTC clock.
    utc_now = await conn.fetchval("SELECT now() AT TIME ZONE 'UTC'")
    assert abs((utc_now - after).total_seconds()) < 60


async def test_key_rotation_re_encrypts_every_secret(conn, credential, monkeypatch):
    old_key = encryption._configured_keys()[0]
    await credential.record_token_refresh("access-1", "refresh-1", datetime(2030, 1, 1))
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv(encryption.KEYS_VARIABLE, f"{new_key},{old_key}")
    # Readable during the rotation, with both keys configured.
    assert (await credential.secrets()).client_secret == CLIENT_SECRET
    assert await ServiceTitanCredential.rotate_encryption() >= 1
    assert await ServiceTitanCredential.rotate_encryption() == 0
    monkeypatch.setenv(encryption.KEYS_VARIABLE, new_key)
    secrets = await credential.secrets()
    assert (secrets.client_secret, secrets.access_token, secrets.refresh_token) == (
        CLIENT_SECRET,
        "access-1",
        "refresh-1",
    )


async def test_a_removed_key_gives_a_clear_error(credential, monkeypatch):
    monkeypatch.setenv(encryption.KEYS_VARIABLE, Fernet.generate_key().decode())
    with pytest.raises(encryption.DecryptionFailed, match="rotate_keys"):
        await credential.secrets()


def test_no_key_outside_the_embedded_database_is_an_error(monkeypatch):
    monkeypatch.delenv(encryption.KEYS_VARIABLE)
    with pytest.raises(encryption.EncryptionKeyMissing, match=encryption.KEYS_VARIABLE):
        encryption.encrypt("x")


def test_embedded_default_generates_a_development_key_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.delenv(encryption.KEYS_VARIABLE)
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setattr(encryption, "DEV_KEY_FILE", tmp_path / ".dev-secret-keys")
    with pytest.warns(UserWarning, match="development key"):
        token = encryption.encrypt("dev-secret")
    assert (tmp_path / ".dev-secret-keys").stat().st_mode & 0o777 == 0o600
    with pytest.warns(UserWarning):
        assert encryption.decrypt(token) == "dev-secret"
