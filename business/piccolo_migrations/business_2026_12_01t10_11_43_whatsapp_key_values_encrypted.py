"""whatsapp_auth_keys.value (Baileys' session keys, private key material)
encrypted at rest like the ServiceTitan secrets: each value becomes a JSON
string, the Fernet token of its JSON text (``encryption.encrypt_json``, keys
from CREDENTIALS_ENCRYPTION_KEYS). Backwards decrypts every value again.

Written for a filled table the application is using: no transaction around
it (``wrap_in_transaction=False``); rows are rewritten in batches of 500 in
primary-key order, each batch one UPDATE that commits alone and writes only
the rows whose value is still the one it read (compare-and-set), so only a
batch's rows are locked, for one statement's time, and nothing the
application wrote meanwhile is overwritten. A value already encrypted
(forwards) or in plaintext (backwards) is left as it is, so a run that
stopped half-way is finished by running it again. Values the application
writes in plaintext while it runs (an instance not yet on this version)
are reported by ``rotate_keys --check`` and encrypted by ``rotate_keys``.

The catalog does not change (DATA_ONLY), and the table's functions
(``cleanup_expired_whatsapp_keys()``, ``get_whatsapp_auth_stats()``) never
read ``value``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from platform_db.secrets import encryption
from platform_db.secrets.key_rotation import EncryptedColumn

ID = "2026-12-01T10:11:43:139037"
VERSION = "1.38.0"
DESCRIPTION = "whatsapp_key_values_encrypted"
# Rewrites rows only: the reversibility walk expects no catalog change.
DATA_ONLY = True

VALUES = EncryptedColumn(table="public.whatsapp_auth_keys", column="value", column_type="jsonb")


def _encrypted(stored: str) -> str | None:
    return encryption.encrypt_json(stored) if VALUES.token(stored) is None else None


def _decrypted(stored: str) -> str | None:
    token = VALUES.token(stored)
    return None if token is None else encryption.decrypt(token)


def _rewrite(transform):
    async def run() -> None:
        connection = await engine_finder().get_new_connection()
        try:
            await VALUES.rewrite(connection, transform)
        finally:
            await connection.close()

    return run


async def forwards():
    manager = MigrationManager(
        migration_id=ID,
        app_name="business",
        description=DESCRIPTION,
        wrap_in_transaction=False,
    )
    manager.add_raw(_rewrite(_encrypted))
    manager.add_raw_backwards(_rewrite(_decrypted))
    return manager
