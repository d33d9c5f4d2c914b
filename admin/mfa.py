"""MFA for the admin's logins: piccolo_api's own authenticator-app (TOTP)
provider, as Piccolo Admin offers it (``mfa_providers``): a user enrols from
Piccolo Admin's menu ("MFA setup", ``/admin/api/mfa-setup/``: a QR code and
recovery codes), and from then on their login asks for a code.

The shared secrets are kept in ``admin_mfa_secrets`` (``admin.tables``),
encrypted with the project's Fernet keys (``CREDENTIALS_ENCRYPTION_KEYS``,
``platform_db.secrets.encryption``); a wrong code counts as a failed login
for the login limits (``admin.throttle``).
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo_api.encryption.providers import EncryptionProvider
from piccolo_api.mfa.authenticator.provider import AuthenticatorProvider

from admin.tables import MFA_ENCRYPTION_NAME, AdminMfaSecret
from admin.throttle import note_failed_login
from platform_db.secrets import encryption


class ProjectKeys(EncryptionProvider):
    """piccolo_api's encryption interface over the project's Fernet keys."""

    def __init__(self):
        super().__init__(prefix=MFA_ENCRYPTION_NAME)

    def encrypt(self, value: str, add_prefix: bool = True) -> str:
        token = encryption.encrypt(value)
        return self.add_prefix(token) if add_prefix else token

    def decrypt(self, encrypted_value: str, has_prefix: bool = True) -> str:
        token = self.remove_prefix(encrypted_value) if has_prefix else encrypted_value
        return encryption.decrypt(token)


class AdminAuthenticator(AuthenticatorProvider):
    """The authenticator provider whose wrong codes count as failed logins."""

    async def authenticate_user(self, user: BaseUser, code: str) -> bool:
        if await super().authenticate_user(user=user, code=code):
            return True
        note_failed_login()
        return False


def authenticator(issuer_name: str) -> AdminAuthenticator:
    return AdminAuthenticator(
        encryption_provider=ProjectKeys(), secret_table=AdminMfaSecret, issuer_name=issuer_name
    )
