"""The fake's OAuth 2.0 client-credentials endpoint and the API's
authentication, over real HTTP: a token per tenant, ``invalid_client``,
401 without the app key or with a token that stopped working, 403 with
another tenant's token. Token expiry runs on a ManualClock."""

import httpx
import pytest

from servicetitan.fake import ManualClock
from tests.servicetitan.fake.calls import TENANT, api, ask_token, export_path, token


def test_a_token_is_issued_for_the_tenants_client_credentials(fake_servicetitan):
    answer = ask_token(fake_servicetitan)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert answer.headers["cache-control"] == "no-store"
    with api(fake_servicetitan, access_token=body["access_token"]) as client:
        assert client.get(export_path("jobs")).status_code == 200
    assert fake_servicetitan.counters.tokens_issued() == 1


@pytest.mark.parametrize(
    "form",
    [
        {"client_secret": "not-the-secret"},
        {"client_id": "cid.unknown"},
        {"client_secret": ""},
    ],
)
def test_wrong_credentials_get_invalid_client(fake_servicetitan, form):
    tenant = fake_servicetitan.tenants[TENANT]
    sent = {"grant_type": "client_credentials", "client_id": tenant.client_id}
    sent |= {"client_secret": tenant.client_secret} | form
    answer = httpx.post(f"{fake_servicetitan.url}/connect/token", data=sent)
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_client"})
    assert fake_servicetitan.counters.tokens_issued() == 0


def test_only_the_client_credentials_grant_in_a_form_is_accepted(fake_servicetitan):
    tenant = fake_servicetitan.tenants[TENANT]
    url = f"{fake_servicetitan.url}/connect/token"
    credentials = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}
    refresh = httpx.post(url, data=credentials | {"grant_type": "refresh_token"})
    assert (refresh.status_code, refresh.json()) == (400, {"error": "unsupported_grant_type"})
    as_json = httpx.post(url, json=credentials | {"grant_type": "client_credentials"})
    assert (as_json.status_code, as_json.json()) == (400, {"error": "invalid_request"})


def _error(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
    assert body["status"] == status
    return body


def test_every_api_call_needs_the_app_key_and_a_bearer_token(fake_servicetitan):
    path = export_path("jobs")
    access = token(fake_servicetitan)
    bearer = {"Authorization": f"Bearer {access}"}
    app_key = {"ST-App-Key": fake_servicetitan.app_key}
    with httpx.Client(base_url=fake_servicetitan.url) as client:
        assert "ST-App-Key" in _error(client.get(path, headers=bearer), 401)["title"]
        wrong_key = bearer | {"ST-App-Key": "ak1.someone-else"}
        assert "ST-App-Key" in _error(client.get(path, headers=wrong_key), 401)["title"]
        no_token = client.get(path, headers=app_key)
        assert "missing" in _error(no_token, 401)["title"]
        assert no_token.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        unknown = app_key | {"Authorization": "Bearer fake.made-up"}
        _error(client.get(path, headers=unknown), 401)
        # the spec's other way of sending the app key: a query parameter
        by_query = {"servicetitanapplicationkey": fake_servicetitan.app_key}
        assert client.get(path, headers=bearer, params=by_query).status_code == 200


def test_a_revoked_token_gets_401_before_its_expiry(fake_servicetitan):
    with api(fake_servicetitan) as client:
        assert client.get(export_path("jobs")).status_code == 200
        assert fake_servicetitan.tokens.revoke(fake_servicetitan.tenants[TENANT].client_id) == 1
        body = _error(client.get(export_path("jobs")), 401)
        assert body["title"] == "The access token has expired or was revoked."
    with api(fake_servicetitan) as client:  # a new token works
        assert client.get(export_path("jobs")).status_code == 200


@pytest.mark.fake_servicetitan(clock=ManualClock(), token_lifetime=60)
def test_a_token_expires_after_expires_in_seconds(fake_servicetitan):
    answer = ask_token(fake_servicetitan).json()
    assert answer["expires_in"] == 60
    with api(fake_servicetitan, access_token=answer["access_token"]) as client:
        fake_servicetitan.clock.advance(59.9)
        assert client.get(export_path("jobs")).status_code == 200
        fake_servicetitan.clock.advance(0.1)
        _error(client.get(export_path("jobs")), 401)


@pytest.mark.fake_servicetitan(tenants=[1000001, 1000002])
def test_a_token_is_good_for_its_own_tenant_only(fake_servicetitan):
    with api(fake_servicetitan, 1000001) as client:
        body = _error(client.get(export_path("jobs", 1000002)), 403)
        assert body["title"] == "The access token is not for tenant 1000002."
        _error(client.get(export_path("jobs", 999)), 403)
    assert ask_token(fake_servicetitan, 1000002).status_code == 200
    first, second = fake_servicetitan.tenants.values()
    assert first.client_id != second.client_id
    assert fake_servicetitan.counters.tokens_issued(second.client_id) == 1
