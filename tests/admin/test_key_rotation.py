"""Key rotation reaches the admin's MFA secrets: after ``piccolo platform
rotate_keys`` and the old key's removal (SECURITY.md's procedure), an admin
enrolled in MFA still logs in through the admin's own login, and the
ServiceTitan credentials still decrypt."""

from __future__ import annotations

import os
import subprocess

import pyotp

from platform_db.secrets import encryption
from tests.admin.support import asgi_client, create_admin_user, log_in
from tests.support.commands import PICCOLO, PROJECT


def rotate_keys(*args: str, keys: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, "platform", "rotate_keys", *args],
        cwd=PROJECT,
        env={**os.environ, encryption.KEYS_VARIABLE: keys, "PLATFORM_DB_QUIET": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def enrolled_admin() -> tuple[str, str]:
    """A new admin user enrolled in MFA as Piccolo Admin's "MFA setup" does
    it: their username and TOTP secret (as their authenticator app keeps it)."""
    from piccolo.apps.user.tables import BaseUser

    from admin.mfa import ProjectKeys, authenticator

    username = await create_admin_user()
    user = await BaseUser.objects().get(BaseUser.username == username)
    await authenticator("test").get_registration_json(user)
    stored = await stored_mfa_secret(username)
    return username, ProjectKeys().decrypt(stored)


async def stored_mfa_secret(username: str) -> str:
    from piccolo.apps.user.tables import BaseUser

    from admin.tables import AdminMfaSecret

    user = await BaseUser.objects().get(BaseUser.username == username)
    row = (
        await AdminMfaSecret.select(AdminMfaSecret.secret, exclude_secrets=False)
        .where(AdminMfaSecret.user_id == user.id)
        .first()
    )
    return row["secret"]


async def log_in_with_code(app, username: str, secret: str) -> int:
    """The status of a login with the user's current code (a code made as
    its 30 s window ends is tried once more, anew)."""
    async with asgi_client(app) as client:
        for _ in range(2):
            answer = await log_in(client, username, mfa_code=pyotp.TOTP(secret).now())
            if answer.status_code == 200:
                break
        return answer.status_code


async def test_after_rotation_and_the_old_key_gone_mfa_logins_and_credentials_work(
    admin_app, known_credential, keys, conn
):
    from servicetitan.tables import ServiceTitanCredential

    username, secret = await enrolled_admin()
    assert await log_in_with_code(admin_app, username, secret) == 200
    stored = await stored_mfa_secret(username)

    both = keys.use(keys.new, keys.old)
    checked = rotate_keys("--check", keys=both)
    assert checked.returncode == 1 and "admin_mfa_secrets.secret" in checked.stderr, checked
    done = rotate_keys("--yes", keys=both)
    assert done.returncode == 0, done.stderr
    assert "admin_mfa_secrets: re-encrypted" in done.stdout, done.stdout
    rotated = await stored_mfa_secret(username)
    assert rotated != stored and rotated.startswith("project_fernet-gAAAA")

    keys.use(keys.new)  # the old key removed
    assert rotate_keys("--check", keys=keys.new).returncode == 0
    # A later login: the code used above (still current) is not refused as a replay.
    await conn.execute("UPDATE admin_mfa_secrets SET last_used_code = NULL")
    assert await log_in_with_code(admin_app, username, secret) == 200
    credential = await ServiceTitanCredential.objects().get(
        ServiceTitanCredential.id == known_credential.id
    )
    secrets = await credential.secrets()
    assert (secrets.client_secret, secrets.access_token, secrets.refresh_token) == (
        known_credential.plaintexts
    )
