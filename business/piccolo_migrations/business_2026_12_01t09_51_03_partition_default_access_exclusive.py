"""``create_messages_partition`` locks the DEFAULT partition ACCESS EXCLUSIVE
from the start, instead of EXCLUSIVE then ACCESS EXCLUSIVE for the ATTACH.

The upgrade was a deadlock: a transaction that had read messages (ACCESS
SHARE on every partition, DEFAULT included, as ``get_recent_messages``
takes) and then inserted a message routed to DEFAULT waited for the
creator's EXCLUSIVE lock, while the creator's ATTACH waited for the reader's
ACCESS SHARE. The deadlock detector aborted one of them, often the writer,
whose message was lost with its transaction
(tests/reliability/test_messages_under_load.py). Asking for the strongest
lock first, the creator simply waits until that transaction commits.

What else changes: readers of the DEFAULT partition (any messages query
without a bound on ``created_at``) now wait while rows are moved out of it
too, not only during the ATTACH. DEFAULT holds few rows (maintenance creates
partitions months ahead), so that is milliseconds.

Backwards restores the previous definition, verbatim from the migration
that made it, with the search_path a later migration gave it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from business.piccolo_migrations import (
    business_2026_11_22t05_26_00_partition_lock_order as lock_order,
)
from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T09:51:03:014403"
VERSION = "1.38.0"
DESCRIPTION = "partition_default_access_exclusive"

CREATE_PARTITION = r"""
CREATE OR REPLACE FUNCTION public.create_messages_partition(p_month date)
RETURNS TABLE (partition_name text, created boolean, rows_moved bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
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
    -- its range: move those rows into a new table, then attach it. The lock
    -- is the one ATTACH PARTITION takes on DEFAULT, asked for at once: a
    -- weaker lock upgraded later deadlocks with a transaction that has read
    -- DEFAULT and then writes to it. Writes to DEFAULT wait meanwhile, so
    -- none of the month slips in.
    LOCK TABLE public.messages_default IN ACCESS EXCLUSIVE MODE;
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

ACCESS_EXCLUSIVE_FIRST = SqlStep(
    forwards=CREATE_PARTITION,
    backwards=lock_order.CREATE_PARTITION
    + "ALTER FUNCTION public.create_messages_partition(date)"
    " SET search_path = pg_catalog, public, pg_temp;",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, ACCESS_EXCLUSIVE_FIRST)
    return manager
