"""``messages`` becomes a table partitioned by month on ``created_at``.

The ``tables`` migration created it as a plain table from the ``Message``
class (so Piccolo's snapshot knows its columns); here it is re-created
``PARTITION BY RANGE (created_at)`` with the same columns, defaults and
CHECKs (``LIKE``), primary key (id, created_at) since the partition key must
be part of it, a DEFAULT partition so no message is ever refused, the
partition functions, and the partitions of the current month and the 5
ahead. Rows are copied across in both directions.

Partitions are named ``messages_YYYY_MM`` and cover UTC months.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T04:53:25:902514"
VERSION = "1.38.0"
DESCRIPTION = "messages_partitioned"

COMPANY_FK = """
ALTER TABLE public.messages
    ADD CONSTRAINT messages_company_id_fkey
    FOREIGN KEY (company_id) REFERENCES public.companies (id)
    ON UPDATE CASCADE ON DELETE CASCADE;
"""

PARTITIONED_TABLE = SqlStep(
    forwards=f"""
ALTER TABLE public.messages RENAME TO messages_unpartitioned;

CREATE TABLE public.messages (
    LIKE public.messages_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
)
PARTITION BY RANGE (created_at);

-- Catches a message whose month has no partition yet; creating that month's
-- partition moves such rows into it (create_messages_partition).
CREATE TABLE public.messages_default PARTITION OF public.messages DEFAULT;

INSERT INTO public.messages SELECT * FROM public.messages_unpartitioned;
DROP TABLE public.messages_unpartitioned;

ALTER TABLE public.messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id, created_at);
{COMPANY_FK}
""",
    backwards=f"""
ALTER TABLE public.messages RENAME TO messages_partitioned;
ALTER TABLE public.messages_partitioned
    RENAME CONSTRAINT messages_pkey TO messages_partitioned_pkey;

CREATE TABLE public.messages (
    LIKE public.messages_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
);
INSERT INTO public.messages SELECT * FROM public.messages_partitioned;
DROP TABLE public.messages_partitioned;

ALTER TABLE public.messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id);
{COMPANY_FK}
""",
)

# Created on the partitioned parent, so every partition gets its own copy.
INDEXES = {
    # get_recent_messages: one company's conversation with one phone, newest first
    "idx_messages_company_phone_created": "(company_id, phone, created_at DESC)",
    "idx_messages_company_created": "(company_id, created_at DESC)",
    # delivery receipts arrive by WhatsApp's id
    "idx_messages_whatsapp_message_id": (
        "(whatsapp_message_id) WHERE whatsapp_message_id IS NOT NULL"
    ),
    # the outgoing queue: few rows, so a partial index stays tiny
    "idx_messages_unsent": "(created_at) WHERE status IN ('pending', 'failed')",
    # date ranges across companies; BRIN costs next to nothing on insert
    "idx_messages_created_brin": "USING brin (created_at)",
}

PARTITIONED_INDEXES = SqlStep(
    forwards="\n".join(
        f"CREATE INDEX {name} ON public.messages {target};" for name, target in INDEXES.items()
    ),
    backwards="\n".join(f"DROP INDEX public.{name};" for name in INDEXES),
)

# The initial partitions go with the table (the step above copies their rows
# back), so this step's backwards only drops the functions.
PARTITION_FUNCTIONS = SqlStep(
    forwards=r"""
CREATE OR REPLACE FUNCTION public.create_messages_partition(p_month date)
RETURNS TABLE (partition_name text, created boolean, rows_moved bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, public
SET timezone = 'UTC'
AS $$
DECLARE
    v_start timestamptz := date_trunc('month', p_month::timestamptz);
    v_end timestamptz := date_trunc('month', p_month::timestamptz) + interval '1 month';
    v_name text := 'messages_' || to_char(p_month, 'YYYY_MM');
    v_parent regclass;
BEGIN
    IF p_month IS NULL THEN
        RAISE EXCEPTION 'create_messages_partition: the month must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- One creator at a time; a second caller then finds the partition made.
    PERFORM pg_advisory_xact_lock(hashtext('public.messages partitions'));
    partition_name := v_name;

    IF to_regclass(format('public.%I', v_name)) IS NOT NULL THEN
        SELECT i.inhparent INTO v_parent
        FROM pg_inherits i
        WHERE i.inhrelid = to_regclass(format('public.%I', v_name));
        IF v_parent IS DISTINCT FROM 'public.messages'::regclass THEN
            RAISE EXCEPTION 'create_messages_partition: table public.% exists but is not '
                'a partition of public.messages', v_name
                USING ERRCODE = 'duplicate_table';
        END IF;
        created := false;
        rows_moved := 0;
        RETURN NEXT;
        RETURN;
    END IF;

    -- PostgreSQL refuses a partition while the DEFAULT partition holds rows of
    -- its range: move those rows into a new table, then attach it. Writes to
    -- the DEFAULT partition wait meanwhile, so none of the month slips in.
    LOCK TABLE public.messages_default IN EXCLUSIVE MODE;
    EXECUTE format(
        'CREATE TABLE public.%I '
        '(LIKE public.messages INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        v_name
    );
    EXECUTE format(
        'WITH moved AS ('
        '    DELETE FROM public.messages_default'
        '    WHERE created_at >= $1 AND created_at < $2'
        '    RETURNING *'
        ') INSERT INTO public.%I SELECT * FROM moved',
        v_name
    ) USING v_start, v_end;
    GET DIAGNOSTICS rows_moved = ROW_COUNT;
    EXECUTE format(
        'ALTER TABLE public.messages ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
        v_name, v_start, v_end
    );
    created := true;
    RETURN NEXT;
END;
$$;

CREATE OR REPLACE FUNCTION public.maintain_messages_partitions(
    p_months_ahead integer DEFAULT 5,
    p_retention_months integer DEFAULT 6
)
RETURNS TABLE (action text, partition_name text, row_count bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, public
SET timezone = 'UTC'
AS $$
DECLARE
    v_current timestamptz := date_trunc('month', now());
    v_last timestamptz;
    v_cutoff timestamptz;
    v_month timestamptz;
    v_made record;
    v_old record;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead < 0
       OR p_retention_months IS NULL OR p_retention_months < 0 THEN
        RAISE EXCEPTION 'maintain_messages_partitions: months ahead (%) and retention '
            'months (%) must be 0 or more', p_months_ahead, p_retention_months
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_last := v_current + make_interval(months => p_months_ahead);
    -- Messages older than the start of this month are dropped.
    v_cutoff := v_current - make_interval(months => p_retention_months);

    -- The months ahead, and retained months whose rows wait in DEFAULT.
    FOR v_month IN
        SELECT generate_series(v_current, v_last, interval '1 month')
        UNION
        SELECT DISTINCT date_trunc('month', d.created_at)
        FROM public.messages_default d
        WHERE d.created_at >= v_cutoff AND d.created_at < v_last + interval '1 month'
        ORDER BY 1
    LOOP
        SELECT * INTO v_made FROM public.create_messages_partition(v_month::date);
        IF v_made.created THEN
            action := 'created';
            partition_name := v_made.partition_name;
            row_count := v_made.rows_moved;
            RETURN NEXT;
        END IF;
    END LOOP;

    FOR v_old IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'public.messages'::regclass
          AND c.relname ~ '^messages_[0-9]{4}_[0-9]{2}$'
          AND to_date(substr(c.relname, 10), 'YYYY_MM') < v_cutoff::date
        ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT count(*) FROM public.%I', v_old.relname) INTO row_count;
        EXECUTE format('DROP TABLE public.%I', v_old.relname);
        action := 'dropped';
        partition_name := v_old.relname;
        RETURN NEXT;
    END LOOP;

    DELETE FROM public.messages_default d WHERE d.created_at < v_cutoff;
    GET DIAGNOSTICS row_count = ROW_COUNT;
    IF row_count > 0 THEN
        action := 'purged';
        partition_name := 'messages_default';
        RETURN NEXT;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION public.get_recent_messages(
    p_phone text,
    p_company_id uuid,
    p_limit integer DEFAULT 50
)
RETURNS SETOF public.messages
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, public
-- A custom plan per call re-plans over every partition (~0.5 ms); the
-- generic plan is reused and still prunes at run time (~0.17 ms).
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'get_recent_messages: limit must be between 1 and 1000, not %', p_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
        SELECT m.*
        FROM public.messages m
        WHERE m.company_id = p_company_id
          AND m.phone = p_phone
        ORDER BY m.created_at DESC
        LIMIT p_limit;
END;
$$;

CREATE OR REPLACE FUNCTION public.get_messages_stats()
RETURNS TABLE (
    partition_name text,
    range_start timestamptz,
    range_end timestamptz,
    row_count bigint,
    total_bytes bigint,
    total_size text
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, public
SET timezone = 'UTC'
AS $$
DECLARE
    v_part record;
BEGIN
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
        EXECUTE format('SELECT count(*) FROM public.%I', v_part.relname) INTO row_count;
        total_bytes := pg_total_relation_size(v_part.oid);
        total_size := pg_size_pretty(total_bytes);
        RETURN NEXT;
    END LOOP;
END;
$$;

SELECT public.create_messages_partition((date_trunc('month', now() AT TIME ZONE 'UTC')
                                         + make_interval(months => ahead))::date)
FROM generate_series(0, 5) AS ahead;
""",
    backwards="""
DROP FUNCTION public.get_messages_stats();
DROP FUNCTION public.get_recent_messages(text, uuid, integer);
DROP FUNCTION public.maintain_messages_partitions(integer, integer);
DROP FUNCTION public.create_messages_partition(date);
""",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, PARTITIONED_TABLE, PARTITIONED_INDEXES, PARTITION_FUNCTIONS)
    return manager
