"""The business app's functions run with ``search_path = pg_catalog, public,
pg_temp``.

Left out of the path, the caller's temporary schema is searched first for
tables, before pg_catalog: a temporary ``pg_inherits`` made
``create_messages_partition`` misread the partitions
(tests/reliability/test_search_path.py). Named last, it is searched last."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import add_sql_steps, search_path_step

ID = "2026-11-22T05:36:37:434874"
VERSION = "1.38.0"
DESCRIPTION = "functions_search_path_pg_temp_last"

FUNCTIONS = [
    "public.create_messages_partition(date)",
    "public.maintain_messages_partitions(integer, integer)",
    "public.get_recent_messages(text, uuid, integer)",
    "public.get_messages_stats()",
    "public.get_database_stats()",
    "public.get_whatsapp_auth_stats()",
    "public.cleanup_expired_dialog_contexts()",
    "public.cleanup_expired_appointments_cache()",
    "public.cleanup_expired_whatsapp_keys()",
    "public.update_updated_at_column()",
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(
        manager,
        search_path_step(
            FUNCTIONS,
            search_path="pg_catalog, public, pg_temp",
            previous="pg_catalog, public",
        ),
    )
    return manager
