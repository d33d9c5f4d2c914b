"""Partition maintenance takes its locks in the order writers do: the
``messages`` parent first, then a partition.

A writer's INSERT or COPY locks the parent (ROW EXCLUSIVE), then each
partition its rows are routed to. ``maintain_messages_partitions`` used to
lock ``messages_default`` (to create a partition) and then ask for the
parent's ACCESS EXCLUSIVE lock (to drop an expired one): a writer waiting for
the DEFAULT partition while holding the parent deadlocked with it
(tests/reliability/test_messages_under_load.py). Now:

- ``maintain_messages_partitions`` takes the partition-maintenance advisory
  lock, then the parent's ACCESS EXCLUSIVE lock when something is to be
  dropped, before any partition's lock;
- ``create_messages_partition`` locks the parent (SHARE UPDATE EXCLUSIVE,
  which ATTACH PARTITION takes anyway, and writers do not wait for) before
  the DEFAULT partition, so that it cannot deadlock either with a session
  that holds the parent and waits for a partition (``ANALYZE messages``,
  ``CREATE INDEX ON messages``).

Backwards restores the previous definitions, verbatim from the migration
that made them.
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from business.piccolo_migrations import (
    business_2026_11_22t04_53_25_messages_partitioned as partitioned,
)
from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T05:26:00:995017"
VERSION = "1.38.0"
DESCRIPTION = "partition_lock_order"


def previous_definition(name: str) -> str:
    """``CREATE OR REPLACE FUNCTION public.<name>`` as the earlier migration wrote it."""
    match = re.search(
        rf"^CREATE OR REPLACE FUNCTION public\.{name}\(.*?^\$\$;$",
        partitioned.PARTITION_FUNCTIONS.forwards,
        re.DOTALL | re.MULTILINE,
    )
    return match.group(0)


CREATE_PARTITION = r"""
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

    -- The parent before a partition, as writers lock them: ATTACH PARTITION
    -- needs this lock on the parent anyway, and writers' ROW EXCLUSIVE does
    -- not conflict with it.
    LOCK TABLE public.messages IN SHARE UPDATE EXCLUSIVE MODE;
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
"""

MAINTAIN_PARTITIONS = r"""
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
    v_expired text[];
    v_name text;
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

    -- One maintainer at a time, and no partition created meanwhile
    -- (create_messages_partition takes the same lock).
    PERFORM pg_advisory_xact_lock(hashtext('public.messages partitions'));
    SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
    INTO v_expired
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'public.messages'::regclass
      AND c.relname ~ '^messages_[0-9]{4}_[0-9]{2}$'
      AND to_date(substr(c.relname, 10), 'YYYY_MM') < v_cutoff::date;
    -- Dropping a partition takes the parent's ACCESS EXCLUSIVE lock. Asked for
    -- after the DEFAULT partition's lock (taken to create a partition), it
    -- deadlocks with a writer that holds the parent and waits for DEFAULT:
    -- so it is taken first, before any partition's lock.
    IF cardinality(v_expired) > 0 THEN
        LOCK TABLE public.messages IN ACCESS EXCLUSIVE MODE;
    END IF;

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

    FOREACH v_name IN ARRAY v_expired
    LOOP
        EXECUTE format('SELECT count(*) FROM public.%I', v_name) INTO row_count;
        EXECUTE format('DROP TABLE public.%I', v_name);
        action := 'dropped';
        partition_name := v_name;
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
"""

LOCK_ORDER = SqlStep(
    forwards=CREATE_PARTITION + MAINTAIN_PARTITIONS,
    backwards="\n".join(
        previous_definition(name)
        for name in ("create_messages_partition", "maintain_messages_partitions")
    ),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, LOCK_ORDER)
    return manager
