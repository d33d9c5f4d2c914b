r"""Partition maintenance in steps that each hold their strong locks for
milliseconds, asked for in short tries, and a plan of what they will do.

Why: ``maintain_messages_partitions`` held the parent's ACCESS EXCLUSIVE
lock for its whole run, counting the rows of each expired partition under
it, and waited for that lock as long as it took; every reader and writer
queued behind it (reads waited up to 551 ms, issue 12). And it dropped what
its arguments said, at once: ``retention_months => 0`` dropped four months.
It becomes these steps (what ``business.partitions`` runs, one step per
transaction, after showing the plan; the seed's
``maintain_messages_partitions(months_ahead, retention_months)`` stays, as
the same steps in one call for SQL callers):

- ``messages_partition_plan(months_ahead, retention_months, keep_tables)``:
  what maintenance would do, with row counts, changing nothing:
  ``create`` (a month ahead, or a retained month whose rows wait in DEFAULT,
  counted), ``drop`` / ``detach`` (a partition wholly before the retention
  cutoff, counted) and ``purge`` (DEFAULT's rows before the cutoff);
- ``create_messages_partition(month)``, ``drop_messages_partition(name,
  retention_months, keep_table)``, ``purge_messages_default(retention_months)``:
  one step each; a drop refuses a partition that is not past retention.

Arguments are bounded (months ahead 0 to 60, retention 0 to 1,200 months)
and refused with a message naming the bound.

How the DEFAULT partition is handled, and why not DETACH CONCURRENTLY:

- DEFAULT stays: it is what makes sure no message is ever refused, whatever
  its month. Maintenance keeps it (nearly) empty: partitions exist months
  ahead, a retained month found in it gets its partition (its rows moved
  in), and its rows past retention are purged.
- PostgreSQL refuses ``DETACH PARTITION ... CONCURRENTLY`` while a DEFAULT
  partition exists. Detaching DEFAULT itself first takes the parent's
  ACCESS EXCLUSIVE lock anyway (a DEFAULT cannot be detached concurrently
  either), and while it is away a message of a month without partition is
  refused. Worse, a detached month keeps its own copy of the foreign key to
  ``companies``: detaching makes its triggers (SHARE ROW EXCLUSIVE on
  ``companies``) and dropping the table later removes them (ACCESS EXCLUSIVE
  on ``companies``, which every message insert's key check waits for).
- So an expired month is dropped while attached: ``DROP TABLE`` of a
  partition locks the parent, the partition and DEFAULT ACCESS EXCLUSIVE
  and nothing else (observed on PostgreSQL 15 and 18). Those locks are
  taken in tries of ``lock_timeout = 20ms``: a try that would wait longer
  gives way, releases what it took, pauses (50 ms doubling to 1 s,
  jittered) so the queue behind it drains, and tries again, for up to 60 s,
  then fails saying so, having changed nothing. Readers and writers thus
  wait at most one try (20 ms) plus the DROP itself (a catalog change and
  a commit), never behind a lock that is waiting for a long transaction.
- The rows are counted inside the try, under a SHARE lock on the month
  alone (which only a writer of that expired month waits for), so the
  count reported is exactly what was dropped; the plan's count was taken
  before, without any lock but ACCESS SHARE.
- ``keep_table`` (pg_partman's ``retention_keep_table``) detaches the month
  instead and leaves it as a plain table ``public.messages_YYYY_MM``; its
  try also takes ``companies`` SHARE ROW EXCLUSIVE. Dropping that table
  later locks ``companies`` ACCESS EXCLUSIVE: do it with a short
  ``lock_timeout``.
- Creating a partition takes, in one try, the parent SHARE, ``companies``
  SHARE ROW EXCLUSIVE (the ATTACH copies the foreign key) and DEFAULT
  ACCESS EXCLUSIVE (the ATTACH needs it; asked for at once, see the
  ``partition_default_access_exclusive`` migration); the table is made
  before the try, and DEFAULT's rows of the month are moved inside it.
  SHARE, not the SHARE UPDATE EXCLUSIVE that ATTACH itself takes: an
  INSERT or COPY routes its rows with the partitions it saw when it
  started, and one under way while the month was attached failed on
  DEFAULT's new constraint ("violates partition constraint", as in
  PostgreSQL's isolation test partition-concurrent-attach), its message
  lost (tests/reliability/test_messages_under_load.py). Writers wait for
  the try instead, readers do not.

Backwards drops the new functions and restores ``maintain_messages_partitions``
and ``create_messages_partition``, verbatim from the migrations that made
them, with the search_path a later migration gave them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from business.piccolo_migrations import (
    business_2026_11_22t05_26_00_partition_lock_order as lock_order,
)
from business.piccolo_migrations import (
    business_2026_12_01t09_51_03_partition_default_access_exclusive as access_exclusive,
)
from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T10:03:24:840492"
VERSION = "1.38.0"
DESCRIPTION = "partition_maintenance_in_short_locks"

SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"

LOCK_TRIES = SqlStep(
    forwards=f"""
-- One try at the locks a partition change needs, in the order given: each
-- waits at most 20 ms. lock_timeout stays at 20 ms for the rest of the try
-- (so no lock the change itself takes can wait longer); the caller restores
-- it, and a failed try's subtransaction rolls it back with the locks.
CREATE OR REPLACE FUNCTION public.try_lock_tables(p_tables regclass[], p_modes text[])
RETURNS void
LANGUAGE plpgsql
{SEARCH_PATH}
AS $$
BEGIN
    IF cardinality(p_tables) IS DISTINCT FROM cardinality(p_modes) THEN
        RAISE EXCEPTION 'try_lock_tables: one mode per table'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('lock_timeout', '20ms', true);
    FOR i IN 1 .. cardinality(p_tables) LOOP
        IF p_modes[i] NOT IN (
            'SHARE', 'SHARE UPDATE EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'ACCESS EXCLUSIVE'
        ) THEN
            RAISE EXCEPTION 'try_lock_tables: % is not a lock mode used here', p_modes[i]
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- ONLY: a partitioned table's lock would otherwise take every partition's
        EXECUTE format('LOCK TABLE ONLY %s IN %s MODE', p_tables[i], p_modes[i]);
    END LOOP;
END;
$$;

-- Between two tries: a pause that grows (50 ms doubling to 1 s, jittered),
-- so the queue behind the try that gave way drains; after 60 s, give up.
CREATE OR REPLACE FUNCTION public.pause_before_lock_retry(
    p_tries integer,
    p_started timestamptz,
    p_what text
)
RETURNS void
LANGUAGE plpgsql
{SEARCH_PATH}
AS $$
BEGIN
    IF clock_timestamp() - p_started > interval '60 seconds' THEN
        RAISE EXCEPTION '%: public.messages stayed too busy for 60 s (% tries, each giving way '
            'after waiting 20 ms for its locks); nothing was changed, run it again later',
            p_what, p_tries
            USING ERRCODE = 'lock_not_available';
    END IF;
    PERFORM pg_sleep(least(0.05 * 2 ^ least(p_tries - 1, 5), 1.0) * (0.5 + random()));
END;
$$;
""",
    backwards="""
DROP FUNCTION public.pause_before_lock_retry(integer, timestamptz, text);
DROP FUNCTION public.try_lock_tables(regclass[], text[]);
""",
)

MONTHS = SqlStep(
    forwards=rf"""
-- The first instant of the UTC month this many months from now (month
-- arithmetic on a timestamp without time zone: the session's zone cannot
-- move it).
CREATE OR REPLACE FUNCTION public.messages_month_start(p_months_from_now integer)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
AS $$
BEGIN
    RETURN (date_trunc('month', now() AT TIME ZONE 'UTC')
            + make_interval(months => p_months_from_now)) AT TIME ZONE 'UTC';
END;
$$;

-- Messages before this instant are past a retention of that many whole
-- months before the current one.
CREATE OR REPLACE FUNCTION public.messages_retention_cutoff(p_retention_months integer)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
AS $$
BEGIN
    IF p_retention_months IS NULL OR p_retention_months NOT BETWEEN 0 AND 1200 THEN
        RAISE EXCEPTION 'retention_months must be between 0 and 1,200, not %',
            coalesce(p_retention_months::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN public.messages_month_start(-p_retention_months);
END;
$$;

-- The range partitions of messages (DEFAULT left out) and their bounds.
CREATE OR REPLACE FUNCTION public.messages_partition_ranges()
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz)
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
-- the bounds' text is parsed back in the zone it was printed in
SET timezone = 'UTC'
AS $$
BEGIN
    RETURN QUERY
        SELECT c.relname::text,
               substring(b.bound FROM $re$FROM \('([^']+)'\)$re$)::timestamptz,
               substring(b.bound FROM $re$TO \('([^']+)'\)$re$)::timestamptz
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
        WHERE i.inhparent = 'public.messages'::regclass
          AND b.bound <> 'DEFAULT';
END;
$$;
""",
    backwards="""
DROP FUNCTION public.messages_partition_ranges();
DROP FUNCTION public.messages_retention_cutoff(integer);
DROP FUNCTION public.messages_month_start(integer);
""",
)

PLAN = SqlStep(
    forwards=f"""
CREATE OR REPLACE FUNCTION public.messages_partition_plan(
    p_months_ahead integer,
    p_retention_months integer,
    p_keep_tables boolean DEFAULT false
)
RETURNS TABLE (
    action text,
    partition_name text,
    range_start timestamptz,
    range_end timestamptz,
    row_count bigint
)
LANGUAGE plpgsql
STABLE
{SEARCH_PATH}
AS $$
DECLARE
    v_cutoff timestamptz := public.messages_retention_cutoff(p_retention_months);
    v_after_last timestamptz;
    v_old record;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 60 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 60, not %',
            coalesce(p_months_ahead::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_keep_tables IS NULL THEN
        RAISE EXCEPTION 'keep_tables must be true or false, not NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_after_last := public.messages_month_start(p_months_ahead + 1);

    -- This month and the months ahead, and retained months whose rows wait
    -- in DEFAULT (with how many will move), that have no partition yet.
    RETURN QUERY
        WITH waiting AS (
            SELECT date_trunc('month', d.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                       AS month,
                   count(*) AS rows_waiting
            FROM public.messages_default d
            WHERE d.created_at >= v_cutoff AND d.created_at < v_after_last
            GROUP BY 1
        ),
        months AS (
            SELECT public.messages_month_start(ahead) AS month
            FROM generate_series(0, p_months_ahead) AS ahead
            UNION
            SELECT w.month FROM waiting w
        )
        SELECT 'create',
               'messages_' || to_char(m.month AT TIME ZONE 'UTC', 'YYYY_MM'),
               m.month,
               (m.month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC',
               coalesce(w.rows_waiting, 0)
        FROM months m
        LEFT JOIN waiting w ON w.month = m.month
        WHERE NOT EXISTS (
            SELECT FROM public.messages_partition_ranges() r WHERE r.range_start = m.month
        )
        ORDER BY m.month;

    -- Partitions wholly before the cutoff, with their rows counted now.
    FOR v_old IN
        SELECT r.* FROM public.messages_partition_ranges() r
        WHERE r.range_end <= v_cutoff
        ORDER BY r.range_start
    LOOP
        action := CASE WHEN p_keep_tables THEN 'detach' ELSE 'drop' END;
        partition_name := v_old.partition_name;
        range_start := v_old.range_start;
        range_end := v_old.range_end;
        EXECUTE format('SELECT count(*) FROM public.%I', v_old.partition_name) INTO row_count;
        RETURN NEXT;
    END LOOP;

    -- DEFAULT's rows from before the cutoff.
    SELECT count(*) INTO row_count FROM public.messages_default d WHERE d.created_at < v_cutoff;
    IF row_count > 0 THEN
        action := 'purge';
        partition_name := 'messages_default';
        range_start := NULL;
        range_end := v_cutoff;
        RETURN NEXT;
    END IF;
END;
$$;
""",
    backwards="DROP FUNCTION public.messages_partition_plan(integer, integer, boolean);",
)

CREATE_PARTITION = SqlStep(
    forwards=r"""
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
    v_lock_timeout text := current_setting('lock_timeout');
    v_started timestamptz := clock_timestamp();
    v_tries integer := 0;
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

    -- Made outside the tries: nobody else can see it until commit.
    EXECUTE format(
        'CREATE TABLE public.%I '
        '(LIKE public.messages INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        v_name
    );
    LOOP
        BEGIN
            -- The parent first, as writers lock it, SHARE: no statement that
            -- writes messages may be under way (one that started before the
            -- ATTACH routes rows with the old partitions, and a row of this
            -- month would fail on DEFAULT's new constraint); readers go on.
            -- companies, since the ATTACH copies the foreign key; DEFAULT
            -- ACCESS EXCLUSIVE at once (a weaker lock upgraded later
            -- deadlocks with a transaction that read DEFAULT and then writes
            -- to it). PostgreSQL refuses a partition while DEFAULT holds rows
            -- of its range: they move into the new table first.
            PERFORM public.try_lock_tables(
                ARRAY['public.messages', 'public.companies', 'public.messages_default']::regclass[],
                ARRAY['SHARE', 'SHARE ROW EXCLUSIVE', 'ACCESS EXCLUSIVE']
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
                'ALTER TABLE public.messages ATTACH PARTITION public.%I '
                'FOR VALUES FROM (%L) TO (%L)',
                v_name, v_start, v_end
            );
            PERFORM set_config('lock_timeout', v_lock_timeout, true);
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            v_tries := v_tries + 1;
            PERFORM public.pause_before_lock_retry(
                v_tries, v_started, format('create_messages_partition(%L)', p_month)
            );
        END;
    END LOOP;
    created := true;
    RETURN NEXT;
END;
$$;
""",
    backwards=access_exclusive.CREATE_PARTITION,
)

STEPS = SqlStep(
    forwards=f"""
CREATE OR REPLACE FUNCTION public.drop_messages_partition(
    p_partition_name text,
    p_retention_months integer,
    p_keep_table boolean DEFAULT false
)
RETURNS TABLE (action text, partition_name text, row_count bigint)
LANGUAGE plpgsql
{SEARCH_PATH}
AS $$
DECLARE
    v_cutoff timestamptz := public.messages_retention_cutoff(p_retention_months);
    v_range_end timestamptz;
    v_partition regclass;
    v_lock_timeout text := current_setting('lock_timeout');
    v_started timestamptz := clock_timestamp();
    v_tries integer := 0;
BEGIN
    IF p_keep_table IS NULL THEN
        RAISE EXCEPTION 'drop_messages_partition: keep_table must be true or false, not NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- One maintainer at a time (create_messages_partition takes it too).
    PERFORM pg_advisory_xact_lock(hashtext('public.messages partitions'));
    SELECT r.range_end INTO v_range_end
    FROM public.messages_partition_ranges() r
    WHERE r.partition_name = p_partition_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'drop_messages_partition: % is not a range partition of public.messages',
            coalesce(p_partition_name, 'NULL')
            USING ERRCODE = 'undefined_table';
    END IF;
    IF v_range_end > v_cutoff THEN
        RAISE EXCEPTION 'drop_messages_partition: % holds messages from after % (a retention '
            'of % months keeps them): not dropped', p_partition_name, v_cutoff, p_retention_months
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_partition := format('public.%I', p_partition_name)::regclass;
    LOOP
        BEGIN
            -- Counted under a lock only a writer of this expired month waits
            -- for, so the count is what goes.
            PERFORM public.try_lock_tables(ARRAY[v_partition], ARRAY['SHARE']);
            EXECUTE format('SELECT count(*) FROM %s', v_partition) INTO row_count;
            IF p_keep_table THEN
                PERFORM public.try_lock_tables(
                    ARRAY['public.messages'::regclass, v_partition,
                          'public.messages_default'::regclass, 'public.companies'::regclass],
                    ARRAY['ACCESS EXCLUSIVE', 'ACCESS EXCLUSIVE', 'ACCESS EXCLUSIVE',
                          'SHARE ROW EXCLUSIVE']
                );
                EXECUTE format('ALTER TABLE public.messages DETACH PARTITION %s', v_partition);
                action := 'detached';
            ELSE
                PERFORM public.try_lock_tables(
                    ARRAY['public.messages'::regclass, v_partition,
                          'public.messages_default'::regclass],
                    ARRAY['ACCESS EXCLUSIVE', 'ACCESS EXCLUSIVE', 'ACCESS EXCLUSIVE']
                );
                EXECUTE format('DROP TABLE %s', v_partition);
                action := 'dropped';
            END IF;
            PERFORM set_config('lock_timeout', v_lock_timeout, true);
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            v_tries := v_tries + 1;
            PERFORM public.pause_before_lock_retry(
                v_tries, v_started, format('drop_messages_partition(%L)', p_partition_name)
            );
        END;
    END LOOP;
    partition_name := p_partition_name;
    RETURN NEXT;
END;
$$;

CREATE OR REPLACE FUNCTION public.purge_messages_default(p_retention_months integer)
RETURNS bigint
LANGUAGE plpgsql
{SEARCH_PATH}
AS $$
DECLARE
    v_cutoff timestamptz := public.messages_retention_cutoff(p_retention_months);
    v_purged bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('public.messages partitions'));
    DELETE FROM public.messages_default d WHERE d.created_at < v_cutoff;
    GET DIAGNOSTICS v_purged = ROW_COUNT;
    RETURN v_purged;
END;
$$;

-- The seed's one-call maintenance, kept for SQL callers (cron through psql,
-- pg_cron): the plan's steps, run in the caller's one transaction, so what
-- each step locks (in short tries) is held until the caller commits.
-- `piccolo business maintain_partitions` and the admin show the plan first
-- and commit each step on its own (business/partitions.py).
CREATE OR REPLACE FUNCTION public.maintain_messages_partitions(
    p_months_ahead integer DEFAULT 5,
    p_retention_months integer DEFAULT 6
)
RETURNS TABLE (action text, partition_name text, row_count bigint)
LANGUAGE plpgsql
{SEARCH_PATH}
SET timezone = 'UTC'
AS $$
DECLARE
    v_step record;
    v_made record;
BEGIN
    FOR v_step IN
        SELECT * FROM public.messages_partition_plan(p_months_ahead, p_retention_months, false)
    LOOP
        IF v_step.action = 'create' THEN
            SELECT * INTO v_made FROM public.create_messages_partition(v_step.range_start::date);
            IF v_made.created THEN
                action := 'created';
                partition_name := v_made.partition_name;
                row_count := v_made.rows_moved;
                RETURN NEXT;
            END IF;
        ELSIF v_step.action = 'drop' THEN
            RETURN QUERY
                SELECT * FROM public.drop_messages_partition(
                    v_step.partition_name, p_retention_months, false
                );
        ELSIF v_step.action = 'purge' THEN
            action := 'purged';
            partition_name := v_step.partition_name;
            row_count := public.purge_messages_default(p_retention_months);
            IF row_count > 0 THEN
                RETURN NEXT;
            END IF;
        END IF;
    END LOOP;
END;
$$;
""",
    backwards=f"""
{lock_order.MAINTAIN_PARTITIONS}
ALTER FUNCTION public.maintain_messages_partitions(integer, integer) {SEARCH_PATH};
DROP FUNCTION public.purge_messages_default(integer);
DROP FUNCTION public.drop_messages_partition(text, integer, boolean);
""",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, LOCK_TRIES, MONTHS, PLAN, CREATE_PARTITION, STEPS)
    return manager
