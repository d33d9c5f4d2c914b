"""Key rotation on a live database: every stored secret ends under the newest
key even while other instances write, and ``rotate_keys --check`` says when
one does not."""

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from business.tables import WhatsAppAuthKey
from platform_db.secrets import encryption
from servicetitan.tables import ServiceTitanCredential
from tests.conftest import TEST_DATABASE_URL
from tests.servicetitan.conftest import CLIENT_SECRET
from tests.support.databases import connect, run_sync

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PICCOLO = Path(sys.executable).parent / "piccolo"


def rotate_keys(*args: str, keys: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PICCOLO), "servicetitan", "rotate_keys", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, encryption.KEYS_VARIABLE: keys},
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_another_instance(sql: str, *args) -> None:
    """``sql`` run on a connection of its own, as another instance of the
    application (with the same keys configured) would write."""

    async def write() -> None:
        conn = await connect(TEST_DATABASE_URL)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    run_sync(write())


async def rotate_while_another_instance_writes(table, monkeypatch, when, sql: str, *args):
    """``table.rotate_encryption()``, with ``sql`` written by another instance
    once, when the rotation is about to re-encrypt a token ``when`` accepts:
    between the rotation's read of that value and its write."""
    real_rotate = encryption.rotate
    written = []

    def rotate(token):
        if when(token) and not written:
            as_another_instance(sql, *args)
            written.append(True)
        return real_rotate(token)

    monkeypatch.setattr(encryption, "rotate", rotate)
    try:
        await table.rotate_encryption()
    finally:
        monkeypatch.setattr(encryption, "rotate", real_rotate)
    assert written


async def test_a_token_refresh_during_rotation_leaves_no_secret_under_the_old_key(
    credential, keys, monkeypatch
):
    await credential.record_token_refresh("access-1", "refresh-1", datetime(2031, 1, 1))
    stored_access_token = credential.access_token
    keys.use(keys.new, keys.old)
    await rotate_while_another_instance_writes(
        ServiceTitanCredential,
        monkeypatch,
        lambda token: token == stored_access_token,
        "UPDATE servicetitan_credentials SET access_token = $1, refresh_token = $2 WHERE id = $3",
        encryption.encrypt("access-2"),
        encryption.encrypt("refresh-2"),
        credential.id,
    )
    check = await ServiceTitanCredential.encryption_check()
    assert all(c.stale == c.undecryptable == 0 for c in check), check
    # The old key removed, as SECURITY.md says to do next: everything reads.
    keys.use(keys.new)
    secrets = await credential.secrets()
    assert (secrets.client_secret, secrets.access_token) == (CLIENT_SECRET, "access-2")


async def test_rotate_keys_checks_plans_asks_and_rotates(credential, keys):
    both = keys.use(keys.new, keys.old)
    before = await ServiceTitanCredential.encryption_check()
    checked = rotate_keys("--check", keys=both)
    assert checked.returncode == 1, checked.stderr
    assert "servicetitan_credentials.client_secret" in checked.stderr
    assert "under an old key" in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1, checked.stderr
    # --check changes nothing.
    assert await ServiceTitanCredential.encryption_check() == before
    assert any(c.stale for c in before)

    # Without --yes (and no terminal to ask on): the plan, and nothing changed.
    refused = rotate_keys(keys=both)
    assert refused.returncode == 1
    assert "servicetitan_credentials.client_secret" in refused.stdout  # the plan
    assert "--yes" in refused.stderr and "nothing was changed" in refused.stderr
    assert await ServiceTitanCredential.encryption_check() == before

    done = rotate_keys("--yes", keys=both)
    assert done.returncode == 0, done.stderr
    assert "re-encrypted" in done.stdout
    clean = rotate_keys("--check", keys=both)
    assert clean.returncode == 0, clean.stderr
    assert "every stored secret is under the newest key" in clean.stdout


async def test_rotate_keys_refuses_values_no_key_decrypts_in_one_line(credential, keys):
    checked = rotate_keys("--check", keys=keys.new)
    assert checked.returncode == 1
    assert "no configured key decrypts" in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1, checked.stderr
    refused = rotate_keys("--yes", keys=keys.new)
    assert refused.returncode == 1 and "Nothing was changed" in refused.stderr
    not_a_key = rotate_keys("--check", keys="not-a-fernet-key")
    assert not_a_key.returncode == 1
    assert not_a_key.stderr.strip().splitlines() == [
        "error: CREDENTIALS_ENCRYPTION_KEYS holds a value that is not a Fernet key "
        "(32 url-safe base64-encoded bytes)."
    ]


async def test_whatsapp_keys_are_rotated_and_a_plaintext_one_encrypted(conn, company, keys):
    await WhatsAppAuthKey.write_keys(company.id, "session", {"a": {"n": 1}, "b": {"n": 2}})
    # As an instance that does not encrypt (an old version) would write it.
    await conn.execute(
        "INSERT INTO whatsapp_auth_keys (company_id, key_type, key_id, value)"
        " VALUES ($1, 'session', 'plain', '{\"n\": 3}')",
        company.id,
    )
    both = keys.use(keys.new, keys.old)
    checked = rotate_keys("--check", keys=both)
    assert checked.returncode == 1
    # Other tests' keys may be in the table too: at least this test's.
    under_old, = re.findall(r"under an old key \([^)]*whatsapp_auth_keys\.value: (\d+)", checked.stderr)
    plaintext, = re.findall(r"not encrypted \(whatsapp_auth_keys\.value: (\d+)\)", checked.stderr)
    assert int(under_old) >= 2 and int(plaintext) >= 1

    done = rotate_keys("--yes", keys=both)
    assert done.returncode == 0, done.stderr
    keys.use(keys.new)
    assert await WhatsAppAuthKey.read_keys(company.id, "session", ["a", "b", "plain"]) == {
        "a": {"n": 1}, "b": {"n": 2}, "plain": {"n": 3},
    }  # fmt: skip
    stored = await conn.fetchval(
        "SELECT value::text FROM whatsapp_auth_keys WHERE company_id = $1 AND key_id = 'plain'",
        company.id,
    )
    assert stored.startswith('"gAAAAA')


async def test_a_key_written_during_rotation_is_not_overwritten(conn, company, keys, monkeypatch):
    await WhatsAppAuthKey.write_keys(company.id, "session", {"a": {"n": 1}})
    stored = await conn.fetchval(
        "SELECT value::text FROM whatsapp_auth_keys WHERE company_id = $1", company.id
    )
    keys.use(keys.new, keys.old)
    # Another instance stores a new session for the key meanwhile.
    await rotate_while_another_instance_writes(
        WhatsAppAuthKey,
        monkeypatch,
        lambda token: token == encryption.json_token(stored),
        "UPDATE whatsapp_auth_keys SET value = $1::jsonb WHERE company_id = $2 AND key_id = 'a'",
        encryption.encrypt_json({"n": 2}),
        company.id,
    )
    keys.use(keys.new)
    assert await WhatsAppAuthKey.read_keys(company.id, "session", ["a"]) == {"a": {"n": 2}}
