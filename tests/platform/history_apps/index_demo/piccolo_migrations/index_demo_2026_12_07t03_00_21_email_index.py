"""index=True on email, built online under a name of its own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

from platform_db.migrations.online import ConcurrentIndex
from platform_db.migrations.steps import add_sql_steps, done_by_sql_steps

ID = "2026-12-07T03:00:21:180288"
VERSION = "1.38.0"
DESCRIPTION = "email_index"


async def forwards():
    manager = MigrationManager(
        migration_id=ID,
        app_name="index_demo",
        description=DESCRIPTION,
        wrap_in_transaction=False,
    )

    manager.alter_column(
        table_class_name="IndexDemo",
        tablename="index_demo",
        column_name="email",
        db_column_name="email",
        params={"index": True},
        old_params={"index": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    # Named unlike Piccolo's index_demo_email: Piccolo's later drop misses it.
    add_sql_steps(manager, ConcurrentIndex("index_demo_email_idx", "public.index_demo", "(email)"))
    done_by_sql_steps(manager, "IndexDemo", "email")
    return manager
