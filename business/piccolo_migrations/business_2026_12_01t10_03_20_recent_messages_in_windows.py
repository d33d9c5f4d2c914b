"""``get_recent_messages`` reads the conversation in windows of months,
newest first, so that a call touches the partitions it needs and not the
whole history.

Before, one ``ORDER BY created_at DESC LIMIT n`` over the parent: with no
bound on ``created_at`` nothing can be pruned, and the DEFAULT partition
(which may hold any month) rules out PostgreSQL's ordered Append, so the
plan was a Merge Append that probed the ``(company_id, phone, created_at
DESC)`` index of every partition. p99 doubled from 12 to 60 months of
history (issue 12).

Now each window is one query bounded on ``created_at``, run with the
function's generic plan, whose run-time pruning (``Subplans Removed``)
leaves only the window's partitions, and DEFAULT only when the window
reaches a month that has no partition:

- this month and everything after it (the months ahead, and DEFAULT);
- then the month before, the 2 before that, then 4, 8 and 16 months;
- then, if the conversation still has fewer than ``limit`` messages,
  everything older in one query (the only query that reaches every older
  partition: a conversation that short has no index entries to walk in
  most of them).

Each window asks for the messages still missing, so the answer is exactly
the newest ``limit`` messages of the conversation, wherever they are. A
conversation with ``limit`` messages in the last months is answered from
those months, however long the history: 3 to 4 small queries at 10
messages a month for the default limit of 50.

Window bounds are UTC month starts computed on ``timestamp`` (no time
zone), so the session's time zone cannot shift them off the partition
boundaries.

Backwards restores the previous definition, verbatim from the migration
that made it, with the search_path a later migration gave it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from business.piccolo_migrations.business_2026_11_22t05_26_00_partition_lock_order import (
    previous_definition,
)
from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-01T10:03:20:299059"
VERSION = "1.38.0"
DESCRIPTION = "recent_messages_in_windows"

# The newest messages of one conversation within created_at >= $lower (and
# < $upper when there is one): the window a query of the function reads.
WINDOW_QUERY = """
        SELECT m.*
        FROM public.messages m
        WHERE m.company_id = p_company_id
          AND m.phone = p_phone
          AND m.created_at >= v_lower{upper}
        ORDER BY m.created_at DESC
        LIMIT v_missing"""

RECENT_MESSAGES = f"""
CREATE OR REPLACE FUNCTION public.get_recent_messages(
    p_phone text,
    p_company_id uuid,
    p_limit integer DEFAULT 50
)
RETURNS SETOF public.messages
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, public, pg_temp
-- One plan per query per session, pruned at run time to the window's
-- partitions (a custom plan per call would plan every time).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    -- UTC month starts, as timestamps without time zone: month arithmetic
    -- on them ignores the session's time zone.
    v_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    v_lower timestamptz := v_month AT TIME ZONE 'UTC';
    v_upper timestamptz;
    v_months integer := 1;
    v_missing integer := p_limit;
    v_found bigint;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'get_recent_messages: limit must be between 1 and 1000, not %', p_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- This month and later: the months ahead and DEFAULT's rows too.
    RETURN QUERY{WINDOW_QUERY.format(upper="")};
    GET DIAGNOSTICS v_found = ROW_COUNT;
    v_missing := v_missing - v_found;

    -- Older windows of 1, 2, 4, 8 and 16 months, newest first.
    WHILE v_missing > 0 AND v_months <= 16 LOOP
        v_upper := v_lower;
        v_month := v_month - make_interval(months => v_months);
        v_lower := v_month AT TIME ZONE 'UTC';
        RETURN QUERY{WINDOW_QUERY.format(upper=chr(10) + "          AND m.created_at < v_upper")};
        GET DIAGNOSTICS v_found = ROW_COUNT;
        v_missing := v_missing - v_found;
        v_months := v_months * 2;
    END LOOP;

    -- A conversation this short: everything older, at once.
    IF v_missing > 0 THEN
        v_upper := v_lower;
        v_lower := '-infinity';
        RETURN QUERY{WINDOW_QUERY.format(upper=chr(10) + "          AND m.created_at < v_upper")};
    END IF;
END;
$$;
"""

WINDOWS = SqlStep(
    forwards=RECENT_MESSAGES,
    backwards=previous_definition("get_recent_messages")
    + "\nALTER FUNCTION public.get_recent_messages(text, uuid, integer)"
    " SET search_path = pg_catalog, public, pg_temp;",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, WINDOWS)
    return manager
