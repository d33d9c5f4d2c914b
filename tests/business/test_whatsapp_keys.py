"""WhatsApp session keys: encrypted at rest, read and written through
``WhatsAppAuthKey``'s API, with the seed's functions still working on them,
and encrypted on an existing database by a migration that undoes itself."""

import json
from datetime import timedelta

import pytest
from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards

from business.piccolo_migrations.business_2026_12_01t10_11_43_whatsapp_key_values_encrypted import (
    ID as ENCRYPTED,
)
from business.tables import Company, WhatsAppAuthKey
from platform_db.values.rejections import SECRET_SHOWN, DataRejected
from tests.business.rows import insert, new_company
from tests.conftest import SERVER_URL
from tests.support.databases import (
    connect,
    create_database,
    database_now,
    drop_database,
    piccolo_on,
)

SESSION = {"private": {"type": "Buffer", "data": "c2Vzc2lvbi1zZWNyZXQ="}, "registrationId": 7}


@pytest.fixture
async def company(migrated):
    row = await Company.create(name="WhatsApp salon")
    yield row.id
    await Company.delete().where(Company.id == row.id)


async def stored(conn, company) -> dict:
    rows = await conn.fetch(
        "SELECT key_id, value::text AS value FROM whatsapp_auth_keys WHERE company_id = $1",
        company,
    )
    return {r["key_id"]: r["value"] for r in rows}


async def test_keys_are_stored_encrypted_and_read_back(conn, company):
    await WhatsAppAuthKey.write_keys(company, "session", {"a": SESSION, "b": {"n": 2}})
    in_database = await stored(conn, company)
    assert set(in_database) == {"a", "b"}
    for text in in_database.values():
        assert text.startswith('"gAAAAA')  # a JSON string holding a Fernet token
    assert "c2Vzc2lvbi1zZWNyZXQ" not in "".join(in_database.values())
    assert await WhatsAppAuthKey.read_keys(company, "session", ["a", "b", "missing"]) == {
        "a": SESSION,
        "b": {"n": 2},
    }
    # Baileys' keys.set: a new value replaces, None deletes.
    await WhatsAppAuthKey.write_keys(company, "session", {"a": {"n": 3}, "b": None})
    assert await WhatsAppAuthKey.read_keys(company, "session", ["a", "b"]) == {"a": {"n": 3}}
    # Kept out of default selects.
    row = await WhatsAppAuthKey.select().where(WhatsAppAuthKey.company == company).first()
    assert "value" not in row


async def test_an_expired_key_is_not_read(conn, company):
    now = await database_now(conn)
    await WhatsAppAuthKey.write_keys(company, "pre-key", {"1": {"k": 1}}, now - timedelta(hours=1))
    await WhatsAppAuthKey.write_keys(company, "pre-key", {"2": {"k": 2}}, now + timedelta(hours=1))
    assert await WhatsAppAuthKey.read_keys(company, "pre-key", ["1", "2"]) == {"2": {"k": 2}}


async def test_create_and_change_encrypt_too(conn, company):
    key = await WhatsAppAuthKey.create(
        company=company, key_type="sender-key", key_id="s", value={"v": 1}
    )
    await key.change(value='{"v": 2}')  # JSON text, as Piccolo takes it
    assert (await stored(conn, company))["s"].startswith('"gAAAAA')
    assert await WhatsAppAuthKey.read_keys(company, "sender-key", ["s"]) == {"s": {"v": 2}}


@pytest.mark.parametrize(
    "call,column",
    [
        (lambda c: WhatsAppAuthKey.write_keys(c, "session", {"a": {"n": float("nan")}}), "value"),
        (lambda c: WhatsAppAuthKey.write_keys(c, "session", {"a": "not json"}), "value"),
        (lambda c: WhatsAppAuthKey.write_keys(c, "bogus", {"a": {}}), "key_type"),
        (lambda c: WhatsAppAuthKey.write_keys(c, "session", {"x" * 256: {}}), "key_id"),
        (
            lambda c: WhatsAppAuthKey.write_keys(
                "00000000-0000-0000-0000-00000000beef", "session", {"a": {}}
            ),
            "company_id",
        ),
    ],
    ids=["nan", "not-json", "key-type", "key-id", "company"],
)
async def test_refusals_name_the_column_and_never_the_value(conn, company, call, column):
    with pytest.raises(DataRejected) as refused:
        await call(company)
    assert refused.value.column == column
    if column == "value":
        assert refused.value.value == SECRET_SHOWN
    assert await stored(conn, company) == {}


async def test_the_seed_functions_work_on_encrypted_keys(conn, company):
    now = await database_now(conn)
    await WhatsAppAuthKey.write_keys(company, "pre-key", {"old": {"k": 0}}, now - timedelta(days=1))
    await WhatsAppAuthKey.write_keys(company, "pre-key", {"new": {"k": 1}}, now + timedelta(days=1))
    await WhatsAppAuthKey.write_keys(company, "session", {"s": SESSION})
    stats = {r["key_type"]: r for r in await conn.fetch("SELECT * FROM get_whatsapp_auth_stats()")}
    assert stats["pre-key"]["total_keys"] >= 2 and stats["pre-key"]["expired_keys"] >= 1
    assert stats["session"]["companies"] >= 1
    assert await conn.fetchval("SELECT cleanup_expired_whatsapp_keys()") >= 1
    assert set(await stored(conn, company)) == {"new", "s"}
    assert await WhatsAppAuthKey.read_keys(company, "session", ["s"]) == {"s": SESSION}


async def test_the_migration_encrypts_a_filled_table_and_backwards_decrypts_it():
    url = create_database(SERVER_URL, "test_whatsapp_keys_migration")
    try:
        with piccolo_on(url):
            # business alone: reversing it under the apps that depend on it is refused
            assert (await run_forwards("business")).success
            assert (await run_backwards("business", ENCRYPTED, auto_agree=True)).success
            conn = await connect(url)
            try:
                company = await new_company(conn)
                # More rows than a batch, as the keys stood before the migration.
                plaintext = {f"k{i}": json.dumps({"i": i, "key": f"secret-{i}"}) for i in range(1200)}
                plaintext["string"] = json.dumps("a plaintext JSON string")
                for key_id, value in plaintext.items():
                    await insert(
                        conn, "whatsapp_auth_keys", company_id=company, key_type="session",
                        key_id=key_id, value=value,
                    )  # fmt: skip
                before = await stored(conn, company)

                assert (await run_forwards("business")).success
                after = await stored(conn, company)
                assert all(text.startswith('"gAAAAA') for text in after.values())
                assert "secret-7" not in "".join(after.values())
                read = await WhatsAppAuthKey.read_keys(company, "session", list(plaintext))
                assert read == {k: json.loads(v) for k, v in plaintext.items()}
                stats = await conn.fetchrow("SELECT * FROM get_whatsapp_auth_stats()")
                assert stats["total_keys"] == len(plaintext)
                assert all(c.stale == c.plaintext == 0 for c in await WhatsAppAuthKey.encryption_check())

                assert (await run_backwards("business", ENCRYPTED, auto_agree=True)).success
                assert await stored(conn, company) == before
                assert (await run_forwards("business")).success  # and again, as a deploy would
                assert await WhatsAppAuthKey.read_keys(company, "session", ["k1"]) == {
                    "k1": {"i": 1, "key": "secret-1"}
                }
            finally:
                await conn.close()
    finally:
        drop_database(url)
