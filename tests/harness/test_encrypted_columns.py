"""Rotation covers every encrypted column of the project, found two ways:
every ``secret=True`` column of every registered table is either declared
encrypted (``EncryptedAtRest.ENCRYPTED_COLUMNS``, what ``rotate_keys`` walks)
or named below as something no key decrypts; and every column of the
database where the apps' own writes leave a Fernet token is one that
rotation walks. A new secret column, or ciphertext written somewhere new,
fails here until rotation covers it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from platform_db.secrets import encryption
from platform_db.secrets.key_rotation import encrypted_tables

# Secret columns that hold no ciphertext, and why no key rotation concerns them.
NOT_CIPHERTEXT = {
    "piccolo_user.password": "a PBKDF2 hash",
    "sessions.token_hash": "a hash of the session token",
    "admin_sessions.token": "a random session token piccolo_api compares in SQL",
    "admin_mfa_secrets.recovery_codes": "PBKDF2 hashes of the recovery codes",
}

# Every column whose text can hold a token: text, varchar, json, jsonb, arrays
# of them; of each table as a whole (a partitioned table, not its partitions).
TEXT_COLUMNS = """
    SELECT format('%I.%I', n.nspname, c.relname) AS relation,
           CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END
               || '.' || a.attname AS label,
           quote_ident(a.attname) AS column_name
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
      AND coalesce(e.typname, t.typname) IN ('text', 'varchar', 'json', 'jsonb', 'bpchar')
"""


def covered() -> set[str]:
    return {
        f"{table._meta.tablename}.{table._meta.get_column_by_name(name)._meta.db_column_name}"
        for table in encrypted_tables()
        for name in table.ENCRYPTED_COLUMNS
    }


def test_every_secret_column_is_rotated_or_holds_no_ciphertext(migrated):
    from piccolo.conf.apps import Finder

    secret_columns = {
        f"{table._meta.tablename}.{column._meta.db_column_name}"
        for table in Finder().get_table_classes()
        for column in table._meta.columns
        if column._meta.secret
    }
    unaccounted = secret_columns - covered() - NOT_CIPHERTEXT.keys()
    assert (
        not unaccounted
    ), f"secret columns neither in an ENCRYPTED_COLUMNS nor in NOT_CIPHERTEXT: {unaccounted}"
    assert not covered() & NOT_CIPHERTEXT.keys()


async def write_every_kind_of_secret() -> None:
    """One value of each kind of secret the apps store, through their own APIs."""
    from piccolo.apps.user.tables import BaseUser

    from admin.mfa import authenticator
    from business.tables import Company, WhatsAppAuthKey
    from servicetitan.tables import ServiceTitanCredential
    from tests.admin.support import create_admin_user

    company = await Company.create(name=f"Encrypted Salon {uuid.uuid4().hex[:6]}")
    credential = await ServiceTitanCredential.register(
        company.id, "production", f"client-{uuid.uuid4().hex[:8]}", "a-client-secret"
    )
    await credential.record_token_refresh(
        "an-access-token", "a-refresh-token", datetime.now(timezone.utc) + timedelta(minutes=15)
    )
    await WhatsAppAuthKey.write_keys(company.id, "session", {"k1": {"private": "key material"}})
    user = await BaseUser.objects().get(BaseUser.username == await create_admin_user())
    await authenticator("test").get_registration_json(user)


async def columns_with_tokens_under_the_newest_key(conn) -> set[str]:
    """The columns holding a Fernet token the newest configured key signed."""
    found = set()
    for column in await conn.fetch(TEXT_COLUMNS):
        tokens = await conn.fetch(f"""
            SELECT m[1] AS token
            FROM {column['relation']} AS t,
                 regexp_matches(t.{column['column_name']}::text,
                                '({encryption.FERNET_PREFIX}[A-Za-z0-9_=-]+)', 'g') AS m
            WHERE t.{column['column_name']}::text LIKE '%{encryption.FERNET_PREFIX}%'
            """)
        if any(encryption.key_index(row["token"]) == 0 for row in tokens):
            found.add(column["label"])
    return found


async def test_every_column_the_apps_encrypt_into_is_one_rotation_walks(conn, keys):
    # A key of this test's own: only what is written now is found under it.
    keys.use(keys.new)
    await write_every_kind_of_secret()
    found = await columns_with_tokens_under_the_newest_key(conn)
    assert found == covered(), (
        f"ciphertext where rotation does not look: {found - covered()}; "
        f"rotation walks columns nothing encrypted into: {covered() - found}"
    )
