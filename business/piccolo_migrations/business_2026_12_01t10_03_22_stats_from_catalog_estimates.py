"""``get_messages_stats`` and ``get_database_stats`` answer from the
catalog's estimates by default, and count exactly on request
(``p_exact => true``).

Before, both ran ``count(*)`` on every table and partition: a scan of the
whole message history on every call of the stats command (issue 12).
Now a row count is ``estimated_rows(table)``: ``pg_class.reltuples`` (what
VACUUM and ANALYZE last saw, autovacuum keeping it fresh) scaled to the
table's size now, as the planner scales it; for a table that neither has
seen yet, the statistics system's live row count. Sizes were always read
from the files (``pg_total_relation_size``), which costs no scan. A new
``exact`` column says which kind of count a row holds.

The signatures change (a new argument with a default), so the functions are
dropped and created again; ``SELECT * FROM get_messages_stats()`` still
works. Backwards drops them and restores the previous definitions, verbatim
from the migrations that made them, with the search_path a later migration
gave them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from business.piccolo_migrations.business_2026_11_22t04_53_27_maintenance_functions import (
    DATABASE_STATS,
    STATS_TABLES,
)
from business.piccolo_migrations.business_2026_11_22t05_26_00_partition_lock_order import (
    previous_definition,
)
from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T10:03:22:650727"
VERSION = "1.38.0"
DESCRIPTION = "stats_from_catalog_estimates"

SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"

ESTIMATED_ROWS = SqlStep(
    forwards=f"""
CREATE OR REPLACE FUNCTION public.estimated_rows(p_table regclass)
RETURNS bigint
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
AS $$
BEGIN
    RETURN (
        SELECT CASE
            -- never vacuumed nor analyzed (reltuples -1), or seen empty
            WHEN c.reltuples < 0 OR c.relpages = 0 THEN pg_stat_get_live_tuples(c.oid)
            ELSE round(
                c.reltuples / c.relpages
                * (pg_relation_size(c.oid) / current_setting('block_size')::integer)
            )::bigint
        END
        FROM pg_class c
        WHERE c.oid = p_table
    );
END;
$$;
""",
    backwards="DROP FUNCTION public.estimated_rows(regclass);",
)

MESSAGES_STATS = SqlStep(
    forwards=rf"""
-- Replaced in the same transaction by one that the same call, get_messages_stats(),
-- reaches (its argument has a default) and whose columns are the old ones
-- and more: no client sees it missing. It is dropped because a function's
-- result columns cannot change in place.
-- squawk-ignore ban-drop-function
DROP FUNCTION public.get_messages_stats();

CREATE OR REPLACE FUNCTION public.get_messages_stats(p_exact boolean DEFAULT false)
RETURNS TABLE (
    partition_name text,
    range_start timestamptz,
    range_end timestamptz,
    row_count bigint,
    total_bytes bigint,
    total_size text,
    exact boolean
)
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
SET timezone = 'UTC'
AS $$
DECLARE
    v_part record;
BEGIN
    IF p_exact IS NULL THEN
        RAISE EXCEPTION 'get_messages_stats: exact must be true or false, not NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR v_part IN
        SELECT c.oid, c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'public.messages'::regclass
        ORDER BY c.relname
    LOOP
        partition_name := v_part.relname;
        -- NULL for the DEFAULT partition, whose bound is just DEFAULT
        range_start := substring(v_part.bound FROM $re$FROM \('([^']+)'\)$re$)::timestamptz;
        range_end := substring(v_part.bound FROM $re$TO \('([^']+)'\)$re$)::timestamptz;
        IF p_exact THEN
            EXECUTE format('SELECT count(*) FROM public.%I', v_part.relname) INTO row_count;
        ELSE
            row_count := public.estimated_rows(v_part.oid);
        END IF;
        total_bytes := pg_total_relation_size(v_part.oid);
        total_size := pg_size_pretty(total_bytes);
        exact := p_exact;
        RETURN NEXT;
    END LOOP;
END;
$$;
""",
    backwards=f"""
DROP FUNCTION public.get_messages_stats(boolean);
{previous_definition("get_messages_stats")}
ALTER FUNCTION public.get_messages_stats() {SEARCH_PATH};
""",
)

DATABASE_STATS_ESTIMATED = SqlStep(
    forwards=f"""
-- Replaced in the same transaction by one that the same call, get_database_stats(),
-- reaches (its argument has a default) and whose columns are the old ones
-- and more: no client sees it missing. It is dropped because a function's
-- result columns cannot change in place.
-- squawk-ignore ban-drop-function
DROP FUNCTION public.get_database_stats();

CREATE OR REPLACE FUNCTION public.get_database_stats(p_exact boolean DEFAULT false)
RETURNS TABLE (
    table_name text,
    row_count bigint,
    total_bytes bigint,
    total_size text,
    exact boolean
)
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
AS $$
DECLARE
    v_table text;
BEGIN
    IF p_exact IS NULL THEN
        RAISE EXCEPTION 'get_database_stats: exact must be true or false, not NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOREACH v_table IN ARRAY ARRAY[{", ".join(f"'{t}'" for t in STATS_TABLES)}]
    LOOP
        table_name := v_table;
        IF p_exact THEN
            EXECUTE format('SELECT count(*) FROM public.%I', v_table) INTO row_count;
        ELSE
            -- a partitioned table's rows are its partitions' (its own
            -- reltuples is not kept up to date)
            SELECT coalesce(
                sum(public.estimated_rows(t.relid)) FILTER (WHERE t.isleaf),
                public.estimated_rows(format('public.%I', v_table)::regclass)
            )::bigint
            INTO row_count
            FROM pg_partition_tree(format('public.%I', v_table)::regclass) t;
        END IF;
        -- a partitioned table's size is the sum of its partitions'
        -- (pg_partition_tree lists nothing for a plain table)
        SELECT coalesce(
            sum(pg_total_relation_size(t.relid)),
            pg_total_relation_size(format('public.%I', v_table)::regclass)
        )::bigint
        INTO total_bytes
        FROM pg_partition_tree(format('public.%I', v_table)::regclass) t;
        total_size := pg_size_pretty(total_bytes);
        exact := p_exact;
        RETURN NEXT;
    END LOOP;
END;
$$;
""",
    backwards=f"""
DROP FUNCTION public.get_database_stats(boolean);
{DATABASE_STATS.forwards}
ALTER FUNCTION public.get_database_stats() {SEARCH_PATH};
""",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, ESTIMATED_ROWS, MESSAGES_STATS, DATABASE_STATS_ESTIMATED)
    return manager
