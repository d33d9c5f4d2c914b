"""Seed 004's cleanup and statistics functions: expired dialog contexts,
appointment cache entries and WhatsApp auth keys are deleted (each function
returns how many rows went), and per-table / per-key-type statistics."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T04:53:27:820795"
VERSION = "1.38.0"
DESCRIPTION = "maintenance_functions"

EXPIRING_TABLES = {
    "cleanup_expired_dialog_contexts": "dialog_contexts",
    "cleanup_expired_appointments_cache": "appointments_cache",
    "cleanup_expired_whatsapp_keys": "whatsapp_auth_keys",
}


def cleanup_function(name: str, table: str) -> SqlStep:
    return SqlStep(
        forwards=f"""
CREATE OR REPLACE FUNCTION public.{name}()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_removed integer;
BEGIN
    DELETE FROM public.{table} WHERE expires_at < now();
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN v_removed;
END;
$$;
""",
        backwards=f"DROP FUNCTION public.{name}();",
    )


STATS_TABLES = [
    "companies",
    "clients",
    "services",
    "staff",
    "staff_schedules",
    "bookings",
    "appointments_cache",
    "dialog_contexts",
    "reminders",
    "sync_status",
    "messages",
    "whatsapp_auth_keys",
]

DATABASE_STATS = SqlStep(
    forwards=f"""
CREATE OR REPLACE FUNCTION public.get_database_stats()
RETURNS TABLE (table_name text, row_count bigint, total_bytes bigint, total_size text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY[{", ".join(f"'{t}'" for t in STATS_TABLES)}]
    LOOP
        table_name := v_table;
        EXECUTE format('SELECT count(*) FROM public.%I', v_table) INTO row_count;
        -- a partitioned table's size is the sum of its partitions'
        -- (pg_partition_tree lists nothing for a plain table)
        SELECT coalesce(
            sum(pg_total_relation_size(t.relid)),
            pg_total_relation_size(format('public.%I', v_table)::regclass)
        )::bigint
        INTO total_bytes
        FROM pg_partition_tree(format('public.%I', v_table)::regclass) t;
        total_size := pg_size_pretty(total_bytes);
        RETURN NEXT;
    END LOOP;
END;
$$;
""",
    backwards="DROP FUNCTION public.get_database_stats();",
)

WHATSAPP_AUTH_STATS = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.get_whatsapp_auth_stats()
RETURNS TABLE (
    key_type text,
    total_keys bigint,
    expired_keys bigint,
    companies bigint,
    last_updated_at timestamptz
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, public
AS $$
BEGIN
    RETURN QUERY
        SELECT k.key_type::text,
               count(*),
               count(*) FILTER (WHERE k.expires_at < now()),
               count(DISTINCT k.company_id),
               max(k.updated_at)
        FROM public.whatsapp_auth_keys k
        GROUP BY k.key_type
        ORDER BY k.key_type;
END;
$$;
""",
    backwards="DROP FUNCTION public.get_whatsapp_auth_stats();",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(
        manager,
        *(cleanup_function(name, table) for name, table in EXPIRING_TABLES.items()),
        DATABASE_STATS,
        WHATSAPP_AUTH_STATS,
    )
    return manager
