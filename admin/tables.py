"""The admin's own tables: its login sessions, its users' MFA secrets and
its audit trail.

Piccolo API's ``session_auth`` app names its table ``sessions``, which the
reporting app's seed table already is; the admin keeps its sessions in
``admin_sessions`` instead, and piccolo_api's authenticator secrets in
``admin_mfa_secrets`` (its own app would add ``authenticator_secret``).
"""

from __future__ import annotations

from piccolo.columns import BigSerial, Integer, JSONB, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table
from piccolo_api.mfa.authenticator.tables import AuthenticatorSecret
from piccolo_api.session_auth.tables import SessionsBase

from platform_db.secrets.key_rotation import EncryptedAtRest
from platform_db.secrets.secret_columns import SecretsLeftOut

# The name ``admin.mfa.ProjectKeys`` gives piccolo_api for what it encrypts:
# each stored MFA secret is ``project_fernet-<Fernet token>``.
MFA_ENCRYPTION_NAME = "project_fernet"


class AdminSession(SecretsLeftOut, SessionsBase, tablename="admin_sessions"):
    """A logged-in admin user's session (the token is ``secret=True``, and
    left out of ``select()`` unless asked for)."""


class AdminMfaSecret(EncryptedAtRest, AuthenticatorSecret, tablename="admin_mfa_secrets"):
    """An admin user's authenticator-app (TOTP) secret, Fernet-encrypted
    under the project's keys (``admin.mfa``), and the hashes of their
    recovery codes; both left out of ``select()`` unless asked for. The
    secret is kept under the newest key by ``rotate_keys`` like every
    encrypted column (a hash needs no key)."""

    ENCRYPTED_COLUMNS = ("secret",)
    ENCRYPTION_PREFIX = f"{MFA_ENCRYPTION_NAME}-"


class AdminAuditEntry(Table, tablename="admin_audit_log"):
    """One admin action that changed data, or tried to: who, when (the
    database's clock), from which address, what. Append-only: a trigger
    refuses every UPDATE, DELETE and TRUNCATE (migration
    ``admin_audit_log_append_only``). Written by ``admin.audit`` only."""

    id = BigSerial(primary_key=True)
    at = Timestamptz(null=False, default=TimestamptzNow())
    username = Varchar(length=100, null=False, default=None)
    user_id = Integer(null=True, default=None)  # no key: the entry outlives the user
    address = Varchar(length=64, null=False, default=None)
    action = Varchar(length=100, null=False, default=None)
    target = Text(null=False, default="")
    # What was asked (a row's new values, a form's fields), never a secret.
    detail = JSONB(null=False, default={})
    # The answer: an HTTP status, 2xx done, anything else refused or failed.
    outcome = Integer(null=False, default=None)

    admin_audit_log_detail_is_object = Check("jsonb_typeof(detail) = 'object'")
