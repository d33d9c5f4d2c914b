"""Everything but the login page needs a session; sessions expire; failed
logins are rate-limited; CSRF and cookie flags are on. All of it is Piccolo
Admin's own machinery: these tests prove it is wired in."""

import uuid

import httpx
import pytest

from tests.admin.support import PASSWORD, asgi_client, create_admin_user, csrf, log_in

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


@pytest.mark.parametrize("path", ["/", "/health/", "/admin/", "/inspect/credentials/"])
async def test_anonymous_users_are_sent_to_the_login_page(anonymous, path):
    response = await anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/"


async def test_the_login_page_itself_is_public(anonymous):
    response = await anonymous.get("/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert 'name="password"' in response.text


async def test_the_login_page_lands_on_the_first_screen_and_log_out_on_the_login(
    anonymous, admin_username
):
    from tests.admin.support import forms_of

    page = await anonymous.get("/login/")
    (form,) = [f for f in forms_of("</header>" + page.text) if f.action == "/login/"]
    wrong = await anonymous.post(
        "/login/", data={**form.fields, "username": admin_username, "password": "not-the-password"}
    )
    assert wrong.status_code == 200 and "incorrect" in wrong.text
    done = await anonymous.post(
        "/login/", data={**form.fields, "username": admin_username, "password": PASSWORD}
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = await anonymous.get("/")
    assert home.status_code == 200 and "failing credentials" in home.text
    (logout,) = [f for f in forms_of(home.text.replace("</header>", "")) if f.action == "/logout/"]
    out = await anonymous.post("/logout/", data=logout.fields)
    assert out.status_code == 303 and out.headers["location"] == "/login/"
    assert (await anonymous.get("/")).headers["location"] == "/login/"


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


def https_client(app) -> httpx.AsyncClient:
    """As behind the HTTPS proxy that --production serves behind."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://admin.example.test",
        headers={"Origin": "https://admin.example.test"},
    )


async def test_production_marks_the_cookies_secure_and_asks_for_https_only(
    migrated, admin_username
):
    from admin.app import create_app

    app = create_app(production=True, allowed_hosts=["admin.example.test"])
    async with https_client(app) as client:
        first = await client.get("/admin/")
        response = await log_in(client, admin_username)
    assert response.status_code == 200, response.text
    cookies = response.headers.get_list("set-cookie")
    assert {c.split("=")[0] for c in cookies} == {"id", "csrftoken"}
    assert all("secure" in c.lower() for c in cookies), cookies
    assert "secure" in first.headers["set-cookie"].lower()  # the csrftoken before the login
    hsts = response.headers["strict-transport-security"]
    assert hsts == "max-age=31536000; includeSubDomains"


async def test_no_hsts_without_production(client):
    assert "strict-transport-security" not in (await client.get("/admin/")).headers


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/tables/companies/",
        "/inspect/credentials/",
        "/health/",
        "/admin/",
        "/admin/api/user/",
    ],
)
async def test_no_answer_is_kept_in_a_cache(client, path):
    response = await client.get(path)
    assert response.headers["cache-control"] == "no-store", path


async def test_static_files_may_be_cached(client):
    assert "cache-control" not in (await client.get("/static/admin.css")).headers


async def test_the_csrf_token_is_bound_to_the_session(admin_app, admin_username, known_credential):
    """A token planted in the browser (a sibling subdomain can set a cookie),
    sent back with the matching header, no longer passes once logged in."""
    async with asgi_client(admin_app) as client:
        await client.get("/admin/")
        before = client.cookies["csrftoken"]
        assert (await log_in(client, admin_username)).status_code == 200
        after = client.cookies["csrftoken"]
        assert after != before
        planted = "attacker-chosen-token"
        client.cookies.set("csrftoken", planted)
        refused = await client.patch(
            f"/admin/api/tables/companies/{uuid.uuid4()}/",
            json={"name": "x"},
            headers={"X-CSRFToken": planted},
        )
        assert refused.status_code == 403 and "not this session's" in refused.text
        form = await client.post(
            f"/inspect/credentials/{known_credential.id}/status/",
            data={"connection_status": "active", "csrftoken": planted},
        )
        assert form.status_code == 403
        client.cookies.set("csrftoken", after)
        page = await client.get("/inspect/credentials/")
        assert after in page.text  # the forms carry the session's token


async def test_a_write_from_another_sites_page_is_refused_over_plain_http(migrated, admin_username):
    """--production without --trusted_proxies saw plain HTTP and skipped the
    Origin check; with allowed hosts the check is made whatever the scheme."""
    from admin.app import create_app

    app = create_app(allowed_hosts=["admin.example.test"])
    async with asgi_client(app) as client:
        await client.get("/admin/")
        response = await client.post(
            "/admin/public/login/",
            json={"username": admin_username, "password": PASSWORD},
            headers={**csrf(client), "Origin": "https://evil.example"},
        )
    assert response.status_code == 403 and "origin" in response.text.lower()


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


class Clock:
    """The throttle's clock, moved by hand: a block's expiry without waiting."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pauses(list):
    """The throttle's sleep, recorded instead of waited."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def limited_app(clock: Clock, **limits):
    from admin.app import create_app
    from admin.throttle import AdminThrottle

    return create_app(throttle=AdminThrottle(clock=clock, **limits))


def from_address(app, address: str):
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)),
        base_url="http://testserver",
    )


async def _attempts(client, username, count, password="wrong-password") -> list[int]:
    await client.get("/admin/")
    statuses = []
    for _ in range(count):
        response = await client.post(
            "/admin/public/login/",
            json={"username": username, "password": password},
            headers=csrf(client),
        )
        statuses.append(response.status_code)
    return statuses


async def test_failed_logins_block_a_user_only_from_the_address_they_came_from(migrated):
    """Five wrong passwords from one address block that user there; the
    right password from another address still gets in (a stranger who knows
    a username cannot lock its owner out)."""
    clock = Clock()
    app = limited_app(clock)
    username = await create_admin_user()
    async with from_address(app, "198.51.100.1") as attacker:
        assert await _attempts(attacker, username, 5) == [401] * 5
        blocked = await log_in(attacker, username)
        assert blocked.status_code == 429, blocked.text
        assert "failed logins for this user from this address" in blocked.text
        assert 1 <= int(blocked.headers["retry-after"]) <= 300
    async with from_address(app, "198.51.100.2") as owner:
        assert (await log_in(owner, username)).status_code == 200
    clock.now += 301  # the window has passed: the block is over
    async with from_address(app, "198.51.100.1") as attacker:
        assert (await log_in(attacker, username)).status_code == 200


async def test_failures_from_many_addresses_slow_a_user_down_without_blocking(migrated):
    """Ten failures from ten addresses: every further login of that user
    waits, longer with each failure, and the right password is let in."""
    clock, pauses = Clock(), Pauses()
    app = limited_app(clock, sleep=pauses)
    username, other = await create_admin_user(), await create_admin_user()
    for n in range(12):
        async with from_address(app, f"198.51.100.{n}") as client:
            assert await _attempts(client, username, 1) == [401]
    assert pauses == [0.5, 1.0]  # the 11th and 12th attempts waited
    async with from_address(app, "198.51.100.77") as client:
        assert (await log_in(client, username)).status_code == 200
        assert pauses[-1] == 2.0
        assert (await log_in(client, other)).status_code == 200  # another user: no wait
    assert len(pauses) == 3
    clock.now += 301
    async with from_address(app, "198.51.100.78") as client:
        assert (await log_in(client, username)).status_code == 200
    assert len(pauses) == 3


async def test_login_requests_from_one_address_are_limited_and_the_block_expires(migrated):
    clock = Clock()
    app = limited_app(clock)
    usernames = [f"nobody-{n}" for n in range(20)]
    async with from_address(app, "203.0.113.9") as client:
        statuses = [(await _attempts(client, name, 1))[0] for name in usernames]
        blocked = await log_in(client, await create_admin_user())
    assert statuses == [401] * 20
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 300
    async with from_address(app, "203.0.113.10") as elsewhere:
        assert (await _attempts(elsewhere, "nobody-x", 1)) == [401]
    clock.now += 301
    async with from_address(app, "203.0.113.9") as client:
        assert (await log_in(client, await create_admin_user())).status_code == 200


def test_a_block_is_not_evicted_by_other_keys():
    """Issue 19.12: past MAX_KEYS keys the oldest used to go, a block among
    them; junk keys (usernames, addresses) lifted it."""
    from admin.throttle import MAX_KEYS, SlidingWindow

    clock = Clock()
    window = SlidingWindow(3, 300, clock)
    for _ in range(3):
        window.hit("198.51.100.1 admin")
    for n in range(MAX_KEYS + 1):
        clock.now += 0.001
        window.hit(f"198.51.100.{n % 250} junk-{n}")
    assert window.retry_after("198.51.100.1 admin") is not None
    assert len(window._hits) <= MAX_KEYS + 1  # memory stays bounded all the same
    clock.now += 301
    assert window.retry_after("198.51.100.1 admin") is None


async def test_junk_usernames_make_no_per_user_key_and_lift_no_block(migrated):
    """Issue 19.12 over HTTP: a flood of unknown usernames from many
    addresses, each under the address limit, leaves a block in place."""
    from admin.app import create_app
    from admin.throttle import AdminThrottle

    clock = Clock()
    throttle = AdminThrottle(clock=clock, max_keys=20)
    app = create_app(throttle=throttle)
    username = await create_admin_user()
    async with from_address(app, "198.51.100.1") as attacker:
        assert await _attempts(attacker, username, 5) == [401] * 5
    for n in range(30):  # more keys than max_keys, each address under its limits
        async with from_address(app, f"192.0.2.{n}") as junk:
            assert await _attempts(junk, f"junk-{n}", 1) == [401]
    assert set(throttle.failed_users._hits) == {username}
    async with from_address(app, "198.51.100.1") as attacker:
        assert (await log_in(attacker, username)).status_code == 429


async def test_change_password_is_limited_per_user(migrated):
    clock = Clock()
    app = limited_app(clock)
    username = await create_admin_user()
    async with asgi_client(app) as client:
        assert (await log_in(client, username)).status_code == 200
        statuses = []
        for _ in range(6):
            response = await client.post(
                "/admin/api/change-password/",
                json={
                    "current_password": "wrong",
                    "new_password": "new-password-123",
                    "confirm_new_password": "new-password-123",
                },
                headers=csrf(client),
            )
            statuses.append(response.status_code)
            last = response
    assert statuses == [422] * 5 + [429]
    assert 1 <= int(last.headers["retry-after"]) <= 300


@pytest.mark.parametrize(
    "path", ["/admin/api/tables/piccolo_user/", "/admin/api/tables/piccolo_user/count/"]
)
async def test_a_non_superuser_cannot_list_users(client, path):
    response = await client.get(path)
    assert response.status_code == 403, response.text
    assert "only superusers" in response.json()["detail"]


async def test_a_non_superuser_sees_neither_users_nor_sessions(client, superuser):
    grouped = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
    assert "piccolo_user" not in sum(grouped.values(), [])
    assert "piccolo_user" in sum(
        (await superuser.get("/admin/api/tables/grouped/")).json()["grouped"].values(), []
    )
    assert (await client.get("/inspect/tables/admin_sessions/")).status_code == 404
    assert "admin_sessions" not in (await client.get("/inspect/tables/")).text
    assert (await superuser.get("/inspect/tables/admin_sessions/")).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/api/tables/", "/inspect/credentials/", "/health/", "/static/admin.css"],
)
async def test_every_response_forbids_framing_and_foreign_scripts(client, path):
    response = await client.get(path)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
