"""Every function of the project pins ``search_path``, so that objects
planted in a schema on the caller's search_path (or in the caller's
temporary schema) cannot take the place of what the function means."""

from __future__ import annotations

import asyncpg
import pytest

from tests.business.rows import insert, month_start, partition_name

PROJECT_SCHEMAS = ["public", "raw"]

FUNCTIONS = """
SELECT p.oid::regprocedure::text AS function, coalesce(p.proconfig, '{}') AS config
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = ANY ($1)
  AND l.lanname IN ('plpgsql', 'sql')
  -- functions an extension brings are the extension's business
  AND NOT EXISTS (
      SELECT FROM pg_depend d
      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
"""

# pg_catalog first, so that no planted function shadows a built-in, and
# pg_temp last, so that no temporary table shadows a table or a catalog.
PINNED = "search_path=pg_catalog, public, pg_temp"


async def unpinned(conn) -> list[str]:
    rows = await conn.fetch(FUNCTIONS, PROJECT_SCHEMAS)
    assert rows, "no project function found"
    return sorted(r["function"] for r in rows if PINNED not in r["config"])


async def test_every_project_function_pins_search_path(tx):
    functions = {r["function"] for r in await tx.fetch(FUNCTIONS, PROJECT_SCHEMAS)}
    assert {
        "get_recent_messages(text,uuid,integer)",
        "messages_partition_plan(integer,integer,boolean)",
        "drop_messages_partition(text,integer,boolean)",
        "purge_messages_default(integer)",
        "update_updated_at_column()",
        "audit_log_refuse_change()",
        "servicetitan_sync_logs_set_processing_time()",
    } <= functions
    assert await unpinned(tx) == []

    # The check sees a function that does not pin it.
    await tx.execute("CREATE FUNCTION raw.unpinned() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    assert await unpinned(tx) == ["raw.unpinned()"]


# Look-alikes of what the functions use, each failing loudly when called.
HIJACK = """
CREATE SCHEMA hijack;
CREATE FUNCTION hijack.now() RETURNS timestamptz LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked: now()'; END $$;
CREATE FUNCTION hijack.date_trunc(text, timestamptz) RETURNS timestamptz LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked: date_trunc()'; END $$;
CREATE FUNCTION hijack.to_char(date, text) RETURNS text LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked: to_char()'; END $$;
CREATE FUNCTION hijack.format(text, text) RETURNS text LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked: format()'; END $$;
CREATE FUNCTION hijack.hashtext(text) RETURNS integer LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked: hashtext()'; END $$;
CREATE FUNCTION hijack.pg_size_pretty(bigint) RETURNS text LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'hijacked: pg_size_pretty()'; END $$;
CREATE TABLE hijack.messages (LIKE public.messages);
CREATE TABLE hijack.messages_default (LIKE public.messages);
CREATE TABLE hijack.companies (LIKE public.companies);
"""

# Tables of the temporary schema, searched before pg_catalog unless the
# function names pg_temp itself.
TEMP_LOOKALIKES = """
CREATE TEMP TABLE pg_inherits (inhrelid oid, inhparent oid, inhseqno integer);
CREATE TEMP TABLE pg_class (oid oid, relname name, relpartbound pg_node_tree);
"""


@pytest.fixture
async def hijacked(tx):
    """``tx`` with look-alikes planted in a schema first on its search_path
    and in its temporary schema."""
    await tx.execute(HIJACK)
    await tx.execute(TEMP_LOOKALIKES)
    await tx.execute("SET LOCAL search_path = hijack, pg_catalog, public")
    return tx


async def test_planted_objects_do_not_reach_the_functions(hijacked):
    tx = hijacked
    # The trap works on a function that does not pin its search_path.
    await tx.execute(
        "CREATE FUNCTION public.probe() RETURNS timestamptz LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN now(); END $$"
    )
    with pytest.raises(asyncpg.RaiseError, match="hijacked: now"):
        async with tx.transaction():
            await tx.fetchval("SELECT public.probe()")

    company = await insert(tx, "public.companies", name="Salon")
    await insert(tx, "public.messages", company_id=company, phone="79001234567", direction="incoming")
    recent = await tx.fetch("SELECT * FROM public.get_recent_messages('79001234567', $1, 5)", company)
    assert [r["company_id"] for r in recent] == [company]

    made = await tx.fetchrow("SELECT * FROM public.create_messages_partition($1)", month_start(50).date())
    assert made["created"]
    plan = await tx.fetch("SELECT * FROM public.messages_partition_plan(51, 600)")
    assert ("create", partition_name(month_start(51))) in {
        (r["action"], r["partition_name"]) for r in plan
    }
    assert await tx.fetchval("SELECT public.purge_messages_default(600)") == 0
    stats = await tx.fetch("SELECT * FROM public.get_messages_stats()")
    assert "messages_default" in {r["partition_name"] for r in stats}
    assert await tx.fetch("SELECT * FROM public.get_database_stats()")
    for cleanup in ("dialog_contexts", "appointments_cache", "whatsapp_keys"):
        assert await tx.fetchval(f"SELECT public.cleanup_expired_{cleanup}()") >= 0
    # update_updated_at_column()
    await tx.execute("UPDATE public.companies SET name = 'Renamed' WHERE id = $1", company)
