"""Seed 004's functions: every one called, and all written the same way
(plpgsql, pinned search_path)."""

from datetime import datetime, timedelta, timezone

import pytest

from business.maintenance import cleanup_expired, database_stats, whatsapp_auth_stats
from tests.business.rows import insert, new_company

FUNCTIONS = [
    "create_messages_partition",
    "messages_partition_plan",
    "drop_messages_partition",
    "purge_messages_default",
    "messages_partition_ranges",
    "messages_month_start",
    "messages_retention_cutoff",
    "try_lock_tables",
    "pause_before_lock_retry",
    "get_recent_messages",
    "estimated_rows",
    "get_messages_stats",
    "cleanup_expired_dialog_contexts",
    "cleanup_expired_appointments_cache",
    "cleanup_expired_whatsapp_keys",
    "get_database_stats",
    "get_whatsapp_auth_stats",
    "update_updated_at_column",
]


async def test_every_function_is_plpgsql_with_a_pinned_search_path(conn):
    rows = await conn.fetch(
        """
        SELECT p.proname, l.lanname, p.proconfig
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = 'public'::regnamespace AND p.proname = ANY($1::text[])
        """,
        FUNCTIONS,
    )
    assert sorted(r["proname"] for r in rows) == sorted(FUNCTIONS)
    for row in rows:
        assert row["lanname"] == "plpgsql", row["proname"]
        assert "search_path=pg_catalog, public, pg_temp" in row["proconfig"], row["proname"]


EXPIRING = {
    "cleanup_expired_dialog_contexts": ("dialog_contexts", {"phone": "79001112233"}),
    "cleanup_expired_appointments_cache": ("appointments_cache", {"yclients_record_id": "r"}),
    "cleanup_expired_whatsapp_keys": (
        "whatsapp_auth_keys",
        {"key_type": "pre-key", "key_id": "k", "value": "{}"},
    ),
}


@pytest.mark.parametrize("function", sorted(EXPIRING))
async def test_cleanup_deletes_the_expired_rows_and_counts_them(tx, function):
    table, values = EXPIRING[function]
    now = datetime.now(timezone.utc)
    companies = [await new_company(tx) for _ in range(3)]
    expired = [
        await insert(tx, table, company_id=c, expires_at=now - timedelta(minutes=1), **values)
        for c in companies[:2]
    ]
    live = await insert(
        tx, table, company_id=companies[2], expires_at=now + timedelta(hours=1), **values
    )
    before = await tx.fetchval(f"SELECT count(*) FROM {table}")
    removed = await tx.fetchval(f"SELECT {function}()")
    assert removed >= 2
    assert await tx.fetchval(f"SELECT count(*) FROM {table}") == before - removed
    assert await tx.fetchval(f"SELECT count(*) FROM {table} WHERE id = ANY($1)", expired) == 0
    assert await tx.fetchval(f"SELECT count(*) FROM {table} WHERE id = $1", live) == 1
    assert await tx.fetchval(f"SELECT {function}()") == 0


async def test_database_stats_count_every_table_on_request(graph, tx):
    rows = {r["table_name"]: r for r in await tx.fetch("SELECT * FROM get_database_stats(true)")}
    for table in graph:
        assert rows[table]["row_count"] == await tx.fetchval(f"SELECT count(*) FROM {table}")
        assert rows[table]["exact"] and rows[table]["total_bytes"] > 0
    partitions = await tx.fetchval(
        "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('messages')"
    )
    assert rows["messages"]["total_bytes"] == partitions


async def scans_so_far(tx) -> int:
    """Table and index scans this transaction has started on the public tables."""
    return await tx.fetchval(
        "SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables "
        "WHERE schemaname = 'public'"
    )


async def test_database_stats_estimate_from_the_catalog_by_default(graph, tx):
    """After ANALYZE (autovacuum's job) the estimate of a table this small is
    its count; before any, the statistics system's live rows. No table is
    scanned (counted in the transaction's own statistics)."""
    await tx.execute("ANALYZE " + ", ".join(graph))
    before = await scans_so_far(tx)
    rows = {r["table_name"]: r for r in await tx.fetch("SELECT * FROM get_database_stats()")}
    assert await scans_so_far(tx) == before
    await tx.fetch("SELECT * FROM get_database_stats(true)")
    assert await scans_so_far(tx) > before
    for table in graph:
        assert not rows[table]["exact"]
        assert rows[table]["row_count"] == await tx.fetchval(f"SELECT count(*) FROM {table}")


async def test_whatsapp_auth_stats_per_key_type(tx):
    now = datetime.now(timezone.utc)
    company = await new_company(tx)
    for key_id, expires_at in [("a", now - timedelta(days=1)), ("b", None), ("c", None)]:
        await insert(
            tx, "whatsapp_auth_keys", company_id=company, key_type="sender-key",
            key_id=key_id, value="{}", expires_at=expires_at,
        )  # fmt: skip
    rows = {r["key_type"]: r for r in await tx.fetch("SELECT * FROM get_whatsapp_auth_stats()")}
    sender = rows["sender-key"]
    assert (sender["total_keys"], sender["expired_keys"]) >= (3, 1)
    assert sender["companies"] >= 1 and sender["last_updated_at"] is not None


async def test_python_wrappers_call_the_functions(migrated):
    removed = await cleanup_expired()
    assert set(removed) == {"dialog_contexts", "appointments_cache", "whatsapp_auth_keys"}
    assert all(isinstance(n, int) for n in removed.values())
    assert {r["table_name"] for r in await database_stats()} >= {"messages", "clients"}
    assert isinstance(await whatsapp_auth_stats(), list)
