"""Where each export feed stands, kept with the pages it cached:
``raw.sync_state.continue_from`` (the feed's ``continueFrom`` after the last
committed page) and ``caught_up_at`` (when it last had no more); and why a
credential's last connection attempt failed,
``servicetitan_credentials.connection_error``.

On live, filled tables: nullable columns without a default are a catalog
change only (no rewrite, no scan; ACCESS EXCLUSIVE for an instant, under
the deploy's ``lock_timeout``). Existing rows keep NULL: a feed never synced
live starts at its beginning.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T02:54:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed_position_and_connection_error"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="connection_error",
        db_column_name="connection_error",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="caught_up_at",
        db_column_name="caught_up_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="continue_from",
        db_column_name="continue_from",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    return manager
