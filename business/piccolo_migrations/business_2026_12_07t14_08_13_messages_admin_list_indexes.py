"""The admin lists messages newest first (``created_at``, then the row), all
of them or one phone's, exactly or by its first digits (``admin.reads``),
a page after another by keyset: without an index in those orders every
page sorted the whole history (0.4 to 1.5 s at a million messages, growing
with it). Two indexes, the admin's exact orders, so a page reads 51 index
entries whatever the size. The phone is compared bytewise (``COLLATE
"C"``): its digits, so that a prefix is an index range.

``messages`` is partitioned, where PostgreSQL refuses ``CREATE INDEX
CONCURRENTLY`` and a plain build blocks writes to every partition:
``PartitionedIndex`` makes each ``ON ONLY`` the parent, builds it
concurrently per partition and attaches it, so this migration runs
outside a transaction and only through ``piccolo platform migrate``. A
partition made later (``create_messages_partition``) gets both at once
from the parent's indexes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.partitioned import PartitionedIndex
from platform_db.migrations.steps import add_sql_steps

ID = "2026-12-07T14:08:13:366525"
VERSION = "1.38.0"
DESCRIPTION = "messages_admin_list_indexes"

INDEXES = [
    PartitionedIndex("messages_newest_idx", "public.messages", "(created_at DESC, id DESC)"),
    PartitionedIndex(
        "messages_phone_newest_idx",
        "public.messages",
        '(phone COLLATE "C", created_at DESC, id DESC)',
    ),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID,
        app_name="business",
        description=DESCRIPTION,
        wrap_in_transaction=False,
    )
    add_sql_steps(manager, *INDEXES)
    return manager
