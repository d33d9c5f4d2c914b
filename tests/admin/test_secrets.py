"""A logged-in admin user cannot read a credential's secrets (plaintext or
Fernet ciphertext), nor a WhatsApp auth key's value (private key material),
through any endpoint of the admin, nor overwrite them."""

import pytest

from tests.admin.support import asgi_client, assert_no_secret, create_admin_user, csrf, log_in

CREDENTIALS = "/admin/api/tables/servicetitan_credentials"
SYNC_LOGS = "/admin/api/tables/servicetitan_sync_logs"


def every_get(credential_id, log_id) -> list[str]:
    """Every GET endpoint that can carry a credential's columns."""
    return [
        "/admin/api/openapi.json",
        "/admin/api/tables/",
        "/admin/api/tables/grouped/",
        f"{CREDENTIALS}/",
        f"{CREDENTIALS}/?__readable=true",
        f"{CREDENTIALS}/?__page_size=100&__order=-updated_at",
        f"{CREDENTIALS}/{credential_id}/",
        f"{CREDENTIALS}/{credential_id}/?__readable=true",
        f"{CREDENTIALS}/schema/",
        f"{CREDENTIALS}/ids/",
        f"{CREDENTIALS}/ids/?search=production",
        f"{CREDENTIALS}/count/",
        f"{CREDENTIALS}/new/",
        f"{CREDENTIALS}/references/",
        f"{CREDENTIALS}/?connection_status=active&environment=production",
        f"{SYNC_LOGS}/?__readable=true",
        f"{SYNC_LOGS}/{log_id}/?__readable=true",
        f"{SYNC_LOGS}/?__visible_fields=id,servicetitan_credential,error_details",
        "/admin/api/tables/companies/?__readable=true",
        "/health/",
    ]


async def test_no_endpoint_sends_a_secret(client, known_credential, failed_log):
    for path in every_get(known_credential.id, failed_log.id):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text)
        assert_no_secret(response.text, known_credential, path)


async def test_the_list_and_detail_show_the_credential_without_secrets(client, known_credential):
    """Not vacuous: the row is there, with its expiry and status."""
    rows = (await client.get(f"{CREDENTIALS}/?__readable=true&__page_size=100")).json()["rows"]
    row = next(r for r in rows if r["id"] == str(known_credential.id))
    detail = (await client.get(f"{CREDENTIALS}/{known_credential.id}/")).json()
    for shown in (row, detail):
        assert shown["token_expires_at"] and shown["connection_status"] == "active"
        assert [shown[c] for c in ("client_secret", "access_token", "refresh_token")] == [None] * 3


async def test_the_schema_marks_secret_columns_out_of_lists_and_filters(client):
    extra = (await client.get(f"{CREDENTIALS}/schema/")).json()["extra"]
    for name in ("client_secret", "access_token", "refresh_token"):
        assert name not in extra["visible_column_names"]
        assert name not in extra["visible_filter_names"]
    assert set(extra["visible_filter_names"]) == {"company", "environment", "connection_status"}


@pytest.mark.parametrize(
    "query",
    [
        "client_secret=gAAAA",
        "client_secret__match=starts&client_secret=gAAAA",
        "access_token__operator=is_not_null",
        "__order=refresh_token",
        "__order=-client_secret",
        "__visible_fields=id,client_secret",
    ],
)
async def test_no_filtering_ordering_or_selecting_by_a_secret(client, query):
    response = await client.get(f"{CREDENTIALS}/?{query}")
    assert response.status_code == 403, response.text
    assert "secret" in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "__visible_fields=id,servicetitan_credential.client_secret",
        "__order=servicetitan_credential.access_token",
    ],
)
async def test_no_reaching_a_secret_through_a_join(client, query):
    response = await client.get(f"{SYNC_LOGS}/?{query}")
    assert response.status_code == 403, response.text


async def stored_secrets(credential_id):
    from servicetitan.tables import ServiceTitanCredential as C

    return await C.select(*C._secret_columns(), exclude_secrets=False).where(
        C.id == credential_id
    ).first()


@pytest.mark.parametrize(
    "body",
    [
        {"client_secret": "junk"},
        # What Piccolo Admin's edit form sends back for a secret it never showed.
        {"client_secret": "", "access_token": None, "connection_status": "active"},
        {"refresh_token": None},
    ],
)
async def test_a_patch_cannot_overwrite_a_secret(client, known_credential, body):
    before = await stored_secrets(known_credential.id)
    response = await client.patch(
        f"{CREDENTIALS}/{known_credential.id}/", json=body, headers=csrf(client)
    )
    assert response.status_code == 403, response.text
    assert await stored_secrets(known_credential.id) == before
    assert tuple(before.values()) == known_credential.ciphertexts


async def test_credentials_cannot_be_created_replaced_or_deleted(client, known_credential):
    row = f"{CREDENTIALS}/{known_credential.id}/"
    attempts = [
        client.post(f"{CREDENTIALS}/", json={"client_id": "x", "client_secret": "plain"},
                    headers=csrf(client)),
        client.put(row, json={"client_id": "x", "client_secret": "plain"}, headers=csrf(client)),
        client.delete(row, headers=csrf(client)),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.text
    assert tuple((await stored_secrets(known_credential.id)).values()) == (
        known_credential.ciphertexts
    )


async def test_the_connection_status_is_the_one_thing_that_may_change(client, known_credential):
    from servicetitan.tables import ServiceTitanCredential as C

    row = f"{CREDENTIALS}/{known_credential.id}/"
    try:
        response = await client.patch(
            row, json={"connection_status": "inactive"}, headers=csrf(client)
        )
        assert response.status_code == 200, response.text
        assert_no_secret(response.text, known_credential, "the PATCH response")
        status = await C.select(C.connection_status).where(C.id == known_credential.id).first()
        assert status == {"connection_status": "inactive"}
        assert tuple((await stored_secrets(known_credential.id)).values()) == (
            known_credential.ciphertexts
        )
        refused = await client.patch(row, json={"client_id": "other"}, headers=csrf(client))
        assert refused.status_code == 403
    finally:
        await C.update({C.connection_status: "active"}).where(C.id == known_credential.id)


async def test_session_tokens_cannot_be_read_or_written_even_by_a_superuser(admin_app):
    from admin.tables import AdminSession

    async with asgi_client(admin_app) as superuser:
        assert (await log_in(superuser, await create_admin_user(superuser=True))).status_code == 200
        tokens = [row["token"] for row in await AdminSession.select(exclude_secrets=False)]
        listing = await superuser.get("/admin/api/tables/admin_sessions/?__page_size=100")
        assert listing.status_code == 200 and tokens
        for token in tokens:
            assert token not in listing.text
        own = listing.json()["rows"][0]["id"]
        response = await superuser.patch(
            f"/admin/api/tables/admin_sessions/{own}/", json={"token": ""},
            headers=csrf(superuser),
        )
        assert response.status_code == 403, response.text
        assert "token cannot be written" in response.json()["detail"]


WHATSAPP_KEYS = "/admin/api/tables/whatsapp_auth_keys"


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


def every_whatsapp_key_get(key_id) -> list[str]:
    return [
        "/admin/api/openapi.json",
        "/admin/api/tables/grouped/",
        f"{WHATSAPP_KEYS}/",
        f"{WHATSAPP_KEYS}/?__readable=true&__page_size=100",
        f"{WHATSAPP_KEYS}/?key_type=session",
        f"{WHATSAPP_KEYS}/{key_id}/",
        f"{WHATSAPP_KEYS}/{key_id}/?__readable=true",
        f"{WHATSAPP_KEYS}/schema/",
        f"{WHATSAPP_KEYS}/ids/",
        f"{WHATSAPP_KEYS}/ids/?search=session",
        f"{WHATSAPP_KEYS}/count/",
        f"{WHATSAPP_KEYS}/new/",
        f"{WHATSAPP_KEYS}/references/",
    ]


async def test_no_endpoint_sends_a_whatsapp_key_value(client, whatsapp_key):
    key_id, private = whatsapp_key
    for path in every_whatsapp_key_get(key_id):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text)
        assert private not in response.text, f"{path} contains a WhatsApp private key"
        assert "noiseKey" not in response.text, f"{path} contains a WhatsApp key value"


async def test_the_whatsapp_key_row_is_shown_without_its_value(client, whatsapp_key):
    """Not vacuous: the row's page is there, with its type and no value."""
    key_id, _ = whatsapp_key
    detail = (await client.get(f"{WHATSAPP_KEYS}/{key_id}/")).json()
    assert detail["key_type"] == "session"
    assert detail["value"] is None
    extra = (await client.get(f"{WHATSAPP_KEYS}/schema/")).json()["extra"]
    assert "value" not in extra["visible_column_names"]
    assert "value" not in extra["visible_filter_names"]


@pytest.mark.parametrize(
    "query",
    [
        'value={"noiseKey": 1}',
        "value__operator=is_not_null",
        "__order=-value",
        "__visible_fields=id,value",
    ],
)
async def test_no_filtering_ordering_or_selecting_by_a_whatsapp_key_value(client, query):
    response = await client.get(f"{WHATSAPP_KEYS}/?{query}")
    assert response.status_code == 403, response.text
    assert "secret" in response.json()["detail"]


async def _stored_value(key_id):
    from business.tables import WhatsAppAuthKey as K

    return await K.select(K.value, exclude_secrets=False).where(K.id == key_id).first()


@pytest.mark.parametrize(
    "body",
    [
        # JSON columns travel as JSON text, as Piccolo Admin's form sends them.
        {"value": '{"noiseKey": "junk"}'},
        # What Piccolo Admin's edit form sends back for a value it never showed.
        {"value": None, "key_type": "session"},
    ],
)
async def test_a_whatsapp_key_value_cannot_be_written(client, whatsapp_key, body):
    key_id, private = whatsapp_key
    before = await _stored_value(key_id)
    assert before["value"].startswith('"gAAAAA') and private not in before["value"]  # encrypted
    for response in (
        await client.patch(f"{WHATSAPP_KEYS}/{key_id}/", json=body, headers=csrf(client)),
        await client.put(f"{WHATSAPP_KEYS}/{key_id}/", json=body, headers=csrf(client)),
        await client.post(f"{WHATSAPP_KEYS}/", json=body, headers=csrf(client)),
    ):
        assert response.status_code == 403, response.text
        assert "value cannot be written" in response.json()["detail"]
    assert await _stored_value(key_id) == before
