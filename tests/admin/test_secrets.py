"""A logged-in admin user cannot read a credential's secrets (plaintext or
Fernet ciphertext), a WhatsApp key's value or a session token through any
page or endpoint of the admin, nor write them: they are shown as "set" /
"not set", and their tables are served by the admin's read-only pages,
never by Piccolo Admin's forms (which send every field back)."""

import pytest

from tests.admin.support import assert_no_secret, csrf


def every_get(credential_id, log_id, key_id) -> list[str]:
    return [
        "/admin/api/openapi.json",
        "/admin/api/tables/",
        "/admin/api/tables/grouped/",
        "/admin/api/links/",
        "/admin/api/tables/companies/?__readable=true",
        "/inspect/credentials/",
        "/inspect/credentials/?failing=yes",
        "/inspect/credentials/?token=expired,expiring,none",
        f"/inspect/credentials/{credential_id}/",
        "/inspect/sync-logs/",
        "/inspect/sync-logs/?status=failed",
        "/inspect/sync-logs/stuck/",
        f"/inspect/sync-logs/{log_id}/",
        "/inspect/tables/",
        "/inspect/tables/whatsapp_auth_keys/",
        f"/inspect/tables/whatsapp_auth_keys/{key_id}/",
        "/inspect/tables/admin_sessions/",
        "/inspect/tables/sessions/",
        "/health/",
    ]


@pytest.fixture(scope="session")
async def whatsapp_key(migrated):
    """A WhatsApp auth key whose private key material is random and known."""
    import secrets
    import uuid

    from business.tables import Company, WhatsAppAuthKey

    private = secrets.token_urlsafe(32)
    company = Company(name=f"Admin WhatsApp Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    key = await WhatsAppAuthKey.create(
        company=company.id,
        key_type="session",
        key_id=f"admin-test-{uuid.uuid4().hex[:8]}",
        value={"noiseKey": {"private": private, "public": "pub-not-secret"}},
    )
    return key.id, private


async def test_no_page_or_endpoint_sends_a_secret(
    superuser, known_credential, failed_log, whatsapp_key, fleet
):
    from admin.tables import AdminSession

    key_id, private = whatsapp_key
    tokens = [row["token"] for row in await AdminSession.select(exclude_secrets=False)]
    assert tokens
    for path in every_get(known_credential.id, failed_log.id, key_id):
        response = await superuser.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert_no_secret(response.text, known_credential, path)
        assert "gAAAA" not in response.text, f"{path} holds a Fernet token"
        assert private not in response.text and "noiseKey" not in response.text, path
        for token in tokens:
            assert token not in response.text, f"{path} holds a session token"


async def test_a_secret_that_exists_is_set_not_null(client, known_credential, fleet):
    page = (await client.get(f"/inspect/credentials/{known_credential.id}/")).text
    for secret in ("client secret", "access token", "refresh token"):
        assert f"<dt>{secret}</dt><dd>set</dd>" in page
    assert "NULL" not in page
    without = (await client.get(f"/inspect/credentials/{fleet['no_token']}/")).text
    assert "<dt>access token</dt><dd>not set</dd>" in without
    assert "<dt>client secret</dt><dd>set</dd>" in without


async def test_a_whatsapp_key_shows_its_value_as_set(client, whatsapp_key):
    key_id, _ = whatsapp_key
    page = (await client.get(f"/inspect/tables/whatsapp_auth_keys/{key_id}/")).text
    assert "<dt>value</dt>\n<dd>set</dd>" in page
    assert "session" in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/tables/servicetitan_credentials/",
        "/admin/api/tables/servicetitan_sync_logs/",
        "/admin/api/tables/whatsapp_auth_keys/",
        "/admin/api/tables/admin_sessions/",
        "/admin/api/tables/st_jobs/",
    ],
)
async def test_piccolo_admin_serves_no_table_with_a_secret_or_written_by_the_project(
    superuser, path
):
    assert (await superuser.get(path)).status_code == 404
    write = await superuser.post(path, json={"client_secret": "x"}, headers=csrf(superuser))
    assert write.status_code in (404, 405)


@pytest.mark.parametrize(
    "query",
    [
        "__order=password",
        "__order[]=password",
        "__order[][]=password",
        "__order[][][]=-password",
        "__order]=password",
        "__visible_fields[][]=id,password",
        "__visible_fields[]=id&__visible_fields[]=password",
        "password[][]=x",
        "password__operator[][]=is_not_null",
    ],
)
async def test_no_ordering_or_selecting_by_a_secret_however_the_brackets_are_doubled(
    superuser, query
):
    """piccolo_api strips every trailing "[" and "]" from a parameter's name:
    so does the validator."""
    response = await superuser.get(f"/admin/api/tables/piccolo_user/?{query}")
    assert response.status_code == 403, response.text
    assert "password: secret" in response.json()["detail"]
