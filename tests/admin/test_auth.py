"""Everything but the login page needs a session; sessions expire; failed
logins are rate-limited; CSRF and cookie flags are on. All of it is Piccolo
Admin's own machinery: these tests prove it is wired in."""

import pytest

from tests.admin.support import asgi_client, create_admin_user, csrf, log_in

PRIVATE_GETS = [
    "/admin/api/tables/",
    "/admin/api/tables/grouped/",
    "/admin/api/tables/servicetitan_credentials/",
    "/admin/api/tables/servicetitan_credentials/schema/",
    "/admin/api/tables/servicetitan_credentials/ids/",
    "/admin/api/tables/servicetitan_sync_logs/",
    "/admin/api/forms/",
    "/admin/api/links/",
    "/admin/api/user/",
    "/admin/api/openapi.json",
]


@pytest.mark.parametrize("path", PRIVATE_GETS)
async def test_the_api_refuses_anonymous_requests(anonymous, path):
    response = await anonymous.get(path)
    assert response.status_code == 401, response.text


async def test_a_credential_is_refused_without_a_session(anonymous, known_credential):
    response = await anonymous.get(
        f"/admin/api/tables/servicetitan_credentials/{known_credential.id}/"
    )
    assert response.status_code == 401


async def test_the_health_page_sends_anonymous_users_to_the_login(anonymous):
    response = await anonymous.get("/health/")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"


async def test_the_login_page_itself_is_public(anonymous):
    response = await anonymous.get("/admin/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies


async def test_a_wrong_password_gets_no_session(anonymous, admin_username):
    response = await log_in(anonymous, admin_username, password="not-the-password")
    assert response.status_code == 401
    assert "id" not in anonymous.cookies
    assert (await anonymous.get("/admin/api/user/")).status_code == 401


async def test_the_session_cookie_is_http_only_and_same_site(admin_app, admin_username):
    async with asgi_client(admin_app) as client:
        response = await log_in(client, admin_username)
    assert response.status_code == 200, (response.status_code, response.text)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("id=")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback


async def test_production_marks_the_session_cookie_secure(migrated, admin_username):
    from admin.app import create_app

    async with asgi_client(create_app(production=True)) as client:
        response = await log_in(client, admin_username)
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()


async def test_a_post_without_the_csrf_token_is_refused(anonymous, admin_username):
    await anonymous.get("/admin/")
    response = await anonymous.post(
        "/admin/public/login/", json={"username": admin_username, "password": "x"}
    )
    assert response.status_code == 403
    assert "CSRF" in response.text


async def test_a_logged_in_write_without_the_csrf_token_is_refused(client, known_credential):
    response = await client.patch(
        f"/admin/api/tables/servicetitan_credentials/{known_credential.id}/",
        json={"connection_status": "inactive"},
    )
    assert response.status_code == 403
    assert "CSRF" in response.text


async def test_an_expired_session_is_refused(admin_app, migrated):
    from datetime import datetime, timedelta

    from admin.tables import AdminSession

    username = await create_admin_user()
    async with asgi_client(admin_app) as client:
        assert (await log_in(client, username)).status_code == 200
        assert (await client.get("/admin/api/user/")).status_code == 200
        token = client.cookies["id"]
        # Piccolo compares the expiry with the host's naive local time.
        expired = datetime.now() - timedelta(minutes=1)
        await AdminSession.update({AdminSession.expiry_date: expired}).where(
            AdminSession.token == token
        )
        assert (await client.get("/admin/api/user/")).status_code == 401
        assert (await client.get("/health/")).status_code == 303


async def test_repeated_failed_logins_are_rate_limited(migrated, admin_username):
    """Piccolo Admin's default in-memory limit: 20 login requests per client
    in 5 minutes; the 21st is refused, even with the right password."""
    from admin.app import create_app

    statuses = []
    async with asgi_client(create_app()) as client:
        await client.get("/admin/")
        for _ in range(21):
            response = await client.post(
                "/admin/public/login/",
                json={"username": admin_username, "password": "wrong-password"},
                headers=csrf(client),
            )
            statuses.append(response.status_code)
        right = await log_in(client, admin_username)
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    assert right.status_code == 429
