"""The admin's own table: its login sessions.

Piccolo API's ``session_auth`` app names its table ``sessions``, which the
reporting app's seed table already is; the admin keeps its sessions in
``admin_sessions`` instead.
"""

from piccolo_api.session_auth.tables import SessionsBase

from platform_db.secrets.secret_columns import SecretsLeftOut


class AdminSession(SecretsLeftOut, SessionsBase, tablename="admin_sessions"):
    """A logged-in admin user's session (the token is ``secret=True``, and
    left out of ``select()`` unless asked for)."""
