"""The admin as ``piccolo admin serve`` runs it (uvicorn, its logging, its
proxy-header handling): no secret in its log on a refused write, a login
limit that forged X-Forwarded-For headers do not get around, and the
--production set-up behind an HTTPS proxy."""

import logging
import subprocess
import uuid

import httpx
import pytest

from tests.admin.served import PICCOLO, served
from tests.admin.support import PASSWORD, create_admin_user, csrf


async def _log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD, **headers):
    await client.get("/admin/", headers=headers)
    # Sent by hand: under --production the cookie is Secure, which httpx keeps
    # for HTTPS, and this client speaks HTTP to the admin as the proxy would.
    token = csrf(client)["X-CSRFToken"]
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password},
        headers={"X-CSRFToken": token, "Cookie": f"csrftoken={token}", **headers},
    )


async def test_a_refused_write_leaves_no_secret_in_the_log(tmp_path, known_credential):
    from piccolo.apps.user.tables import BaseUser

    superuser = await create_admin_user(superuser=True)
    victim = await create_admin_user()
    user = await BaseUser.objects().get(BaseUser.username == victim)
    async with served(tmp_path) as admin, httpx.AsyncClient(base_url=admin.url) as client:
        assert (await _log_in(client, superuser)).status_code == 200
        # PostgreSQL refuses it; its DETAIL would hold the row, password hash included.
        refused = await client.patch(
            f"/admin/api/tables/piccolo_user/{user.id}/",
            json={"username": None},
            headers=csrf(client),
        )
        assert refused.status_code == 422, refused.text
        # A credential's refused change, through the admin's own page.
        form = await client.post(
            f"/inspect/credentials/{known_credential.id}/status/",
            data={"connection_status": "bogus", "csrftoken": client.cookies["csrftoken"]},
        )
        assert form.status_code == 400 and "bogus" in form.text
        log = admin.log_text()
    assert "NotNullViolationError (23502)" in log  # the refusal is logged, as one line
    assert "Failing row contains" not in log and "DETAIL:  " not in log
    assert user.password not in log and "pbkdf2" not in log
    assert "gAAAA" not in log
    for secret in known_credential.forbidden:
        assert secret not in log


@pytest.mark.parametrize("table", ["whatsapp_auth_keys", "servicetitan_credentials"])
async def test_the_log_filter_drops_the_row_postgresql_quotes(
    conn, table, known_credential, caplog
):
    """The same filter on what PostgreSQL says when it refuses a write on the
    WhatsApp keys (a key's plaintext value) or the credentials (ciphertext)."""
    import asyncpg

    from admin.log_redaction import RedactSecrets

    private = f"private-{uuid.uuid4().hex}"
    company = await conn.fetchval(
        "SELECT company_id FROM servicetitan_credentials WHERE id = $1", known_credential.id
    )
    statement = {
        "whatsapp_auth_keys": (
            "INSERT INTO whatsapp_auth_keys (company_id, key_type, key_id, value)"
            f" VALUES ('{company}', 'bogus', 'k', '{{\"private\": \"{private}\"}}')"
        ),
        "servicetitan_credentials": (
            "UPDATE servicetitan_credentials SET connection_status = 'bogus'"
            f" WHERE id = '{known_credential.id}'"
        ),
    }[table]
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await conn.execute(statement)
    assert "Failing row contains" in str(refused.value)  # what the filter must drop
    logger = logging.getLogger(f"test.redaction.{table}")
    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets())
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.ERROR):
            caplog.handler.addFilter(RedactSecrets())
            try:
                raise refused.value
            except asyncpg.CheckViolationError:
                logger.exception("Asyncpg check violation")
    finally:
        logger.removeHandler(handler)
    text = caplog.text
    assert "check constraint" in text and "Failing row" not in text
    assert private not in text and "gAAAA" not in text


async def test_forged_x_forwarded_for_does_not_reset_the_login_limit(tmp_path, migrated):
    """Without --trusted_proxies, X-Forwarded-For is ignored: 20 requests,
    each claiming another address, and the 21st is refused."""
    async with served(tmp_path) as admin, httpx.AsyncClient(base_url=admin.url) as client:
        statuses = []
        for n in range(21):
            response = await _log_in(
                client, f"nobody-{n}", "x", **{"X-Forwarded-For": f"192.0.2.{n}"}
            )
            statuses.append(response.status_code)
    assert statuses == [401] * 20 + [429]


async def test_production_behind_an_https_proxy(tmp_path, migrated):
    """nginx in front on 127.0.0.1, sending X-Forwarded-Proto: https and
    appending the client's address to X-Forwarded-For."""
    username = await create_admin_user()
    options = ("--allowed_hosts=admin.example.test", "--trusted_proxies=127.0.0.1", "--production")
    proxied = {"Host": "admin.example.test", "X-Forwarded-Proto": "https"}
    async with served(tmp_path, *options) as admin, httpx.AsyncClient(base_url=admin.url) as c:
        good = await _log_in(
            c,
            username,
            **proxied,
            Origin="https://admin.example.test",
            **{"X-Forwarded-For": "203.0.113.50"},
        )
        assert good.status_code == 200, good.text
        assert "secure" in good.headers["set-cookie"].lower()
        other = await _log_in(
            c,
            username,
            **proxied,
            Origin="https://evil.example",
            **{"X-Forwarded-For": "203.0.113.50"},
        )
        assert other.status_code == 403 and "Referer or origin" in other.text
        # What a client forges before the proxy stays on the left: the limit
        # counts the address the proxy appended.
        statuses = []
        for n in range(21):
            response = await _log_in(
                c,
                f"nobody-{n}",
                "x",
                **proxied,
                Origin="https://admin.example.test",
                **{"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.51"},
            )
            statuses.append(response.status_code)
    assert statuses == [401] * 20 + [429]


def test_production_without_allowed_hosts_is_refused_in_one_line():
    done = subprocess.run(
        [PICCOLO, "admin", "serve", "--production"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1].startswith("error: --production needs --allowed_hosts")
    )
