"""whatsapp_auth_keys.value (Baileys' session keys, private key material) is
``secret=True``: Piccolo's ``exclude_secrets`` leaves it out, and so does the
admin. Nothing changes in the database."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB

ID = "2026-11-22T06:20:37:403594"
VERSION = "1.38.0"
DESCRIPTION = "whatsapp_key_value_secret"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="WhatsAppAuthKey",
        tablename="whatsapp_auth_keys",
        column_name="value",
        db_column_name="value",
        params={"secret": True},
        old_params={"secret": False},
        column_class=JSONB,
        old_column_class=JSONB,
        schema=None,
    )

    return manager
