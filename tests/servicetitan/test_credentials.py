"""Credentials: seed 000's constraints enforced by PostgreSQL, secrets
encrypted at rest and kept out of default selects and repr."""

from datetime import datetime, timedelta, timezone

import asyncpg
import pytest
from cryptography.fernet import Fernet

from platform_db.secrets import encryption
from platform_db.values.choices import InvalidChoice
from platform_db.values.rejections import DataRejected
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
    # A session in another time zone: the trigger must still write UTC.
    await conn.execute("SET timezone = 'Asia/Tokyo'")
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


async def test_key_rotation_re_encrypts_every_secret(conn, credential, keys):
    await credential.record_token_refresh("access-1", "refresh-1", datetime(2030, 1, 1))
    keys.use(keys.new, keys.old)
    # Readable during the rotation, with both keys configured.
    assert (await credential.secrets()).client_secret == CLIENT_SECRET
    assert await ServiceTitanCredential.rotate_encryption() >= 1
    assert await ServiceTitanCredential.rotate_encryption() == 0
    keys.use(keys.new)
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


def test_embedded_default_generates_a_development_key(monkeypatch, tmp_path):
    """And warns: tests/platform/test_development_key.py."""
    monkeypatch.delenv(encryption.KEYS_VARIABLE)
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setattr(encryption, "DEV_KEY_FILE", tmp_path / ".dev-secret-keys")
    token = encryption.encrypt("dev-secret")
    assert (tmp_path / ".dev-secret-keys").stat().st_mode & 0o777 == 0o600
    assert encryption.decrypt(token) == "dev-secret"


async def test_generic_create_and_change_encrypt_the_secrets(conn, company):
    credential = await ServiceTitanCredential.create(
        company=company.id, environment="production", client_id="c", client_secret="plain-1"
    )
    await credential.change(access_token="plain-2")
    row = await conn.fetchrow(
        "SELECT client_secret, access_token FROM servicetitan_credentials WHERE id = $1",
        credential.id,
    )
    assert row["client_secret"].startswith("gAAAAA") and row["access_token"].startswith("gAAAAA")
    secrets = await credential.secrets()
    assert (secrets.client_secret, secrets.access_token) == ("plain-1", "plain-2")


async def test_a_refused_secret_is_never_shown(company):
    with pytest.raises(DataRejected) as refused:
        await ServiceTitanCredential.create(
            company=company.id, environment="production", client_id="c", client_secret=123456789
        )
    assert refused.value.column == "client_secret"
    assert "123456789" not in str(refused.value) and refused.value.value == "<secret>"


async def test_str_shows_no_ciphertext(credential):
    fetched = await ServiceTitanCredential.objects().get(ServiceTitanCredential.id == credential.id)
    for text in (str(fetched), str(credential), repr(fetched)):
        assert "gAAAAA" not in text and CLIENT_SECRET not in text


def test_selecting_only_secrets_without_asking_is_a_clear_error():
    with pytest.raises(ValueError, match="exclude_secrets=False"):
        ServiceTitanCredential.select(ServiceTitanCredential.client_secret)


async def test_register_refusals_are_data_rejected(company, credential):
    with pytest.raises(DataRejected, match=r"servicetitan_credentials\.company_id, environment"):
        await ServiceTitanCredential.register(company.id, "integration", "again", "s")
    with pytest.raises(DataRejected, match=r"servicetitan_credentials\.company_id"):
        await ServiceTitanCredential.register(
            "00000000-0000-0000-0000-00000000beef", "production", "c", "s"
        )


async def test_register_takes_the_tenant_id_and_change_sets_it_later(conn, company, tenant):
    credential = await ServiceTitanCredential.register(
        company.id, "production", "client-9", "s", tenant_id=tenant
    )
    stored = "SELECT tenant_id FROM servicetitan_credentials WHERE id = $1"
    assert await conn.fetchval(stored, credential.id) == tenant
    await credential.change(tenant_id=tenant + 1)
    assert await conn.fetchval(stored, credential.id) == tenant + 1
    with pytest.raises(DataRejected, match=r"servicetitan_credentials\.tenant_id = -3 rejected"):
        await credential.change(tenant_id=-3)
    with pytest.raises(DataRejected, match=r"servicetitan_credentials\.tenant_id = 'x' rejected"):
        await ServiceTitanCredential.register(company.id, "integration", "c", "s", tenant_id="x")
    assert await conn.fetchval(stored, credential.id) == tenant + 1


async def test_one_company_per_servicetitan_tenant_and_environment(credential, tenant):
    from business.tables import Company

    other = await Company.create(name="Another salon")
    try:
        with pytest.raises(DataRejected, match=r"tenant_id, environment"):
            await ServiceTitanCredential.create(
                company=other.id, environment="integration", client_id="c",
                client_secret="s", tenant_id=tenant,
            )
    finally:
        await Company.delete().where(Company.id == other.id)


async def test_orm_inserts_write_utc_whatever_the_host_time_zone(conn, company, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        credential = ServiceTitanCredential(
            company=company.id, environment="production", client_id="c", client_secret="x"
        )
        await credential.save()
    finally:
        monkeypatch.undo()
        time.tzset()
    created = await conn.fetchval(
        "SELECT created_at FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    utc_now = await conn.fetchval("SELECT now() AT TIME ZONE 'UTC'")
    assert abs((utc_now - created).total_seconds()) < 60


async def test_rotation_with_a_removed_key_is_a_clear_error(credential, monkeypatch):
    monkeypatch.setenv(encryption.KEYS_VARIABLE, Fernet.generate_key().decode())
    with pytest.raises(encryption.DecryptionFailed, match="re-encrypted"):
        await ServiceTitanCredential.rotate_encryption()
