"""Seed 003's acceptance list, checked against the migrated database: the 15
tables, the 5 enums enforced, UUID defaults, the 8 named indexes, foreign
keys and what they do on delete, the unique email, the nullable tenant_id."""

import re

import asyncpg
import pytest

from reporting.enums import (
    ExportFormat,
    ExportStatus,
    MembershipRole,
    ReportWeekStatus,
    SyncStatus,
    TenantStatus,
    UserStatus,
)
from reporting.piccolo_app import APP_CONFIG
from tests.reporting.rows import insert, insert_tenant, insert_user

SEED_TABLES = {
    "tenants", "tenant_branding", "users", "memberships", "sessions",
    "report_weeks", "report_week_manual", "lead_metrics", "pipeline_stage_counts",
    "hot_list_items", "report_exports",
    "sync_runs", "ct_raw_snapshots",
    "tenant_field_mappings", "audit_log",
}  # fmt: skip

SEED_INDEXES = {
    "memberships_user_id_idx": "memberships USING btree (user_id)",
    "memberships_tenant_id_idx": "memberships USING btree (tenant_id)",
    "sessions_user_id_idx": "sessions USING btree (user_id)",
    "report_weeks_tenant_id_idx": "report_weeks USING btree (tenant_id)",
    "report_weeks_week_ending_date_idx": "report_weeks USING btree (week_ending_date)",
    "sync_runs_tenant_id_idx": "sync_runs USING btree (tenant_id)",
    "ct_raw_snapshots_tenant_id_idx": "ct_raw_snapshots USING btree (tenant_id)",
    "ct_raw_snapshots_endpoint_idx": "ct_raw_snapshots USING btree (endpoint)",
}

# (table, column): its Choices enum. The first five are the seed's.
ENUM_COLUMNS = {
    ("tenants", "status"): TenantStatus,
    ("users", "status"): UserStatus,
    ("memberships", "role"): MembershipRole,
    ("report_weeks", "status"): ReportWeekStatus,
    ("sync_runs", "status"): SyncStatus,
    ("report_exports", "format"): ExportFormat,
    ("report_exports", "status"): ExportStatus,
}

# A running sync has no finished_at: the bad status must not trip that CHECK first.
OTHER_COLUMNS_FOR_A_BAD_VALUE = {("sync_runs", "status"): ", finished_at = now()"}

# (table, column): (referenced table, ON DELETE)
FOREIGN_KEYS = {
    ("tenant_branding", "tenant_id"): ("tenants", "CASCADE"),
    ("memberships", "user_id"): ("users", "CASCADE"),
    ("memberships", "tenant_id"): ("tenants", "CASCADE"),
    ("sessions", "user_id"): ("users", "CASCADE"),
    ("sessions", "active_tenant_id"): ("tenants", "SET NULL"),
    ("report_weeks", "tenant_id"): ("tenants", "CASCADE"),
    ("report_week_manual", "report_week_id"): ("report_weeks", "CASCADE"),
    ("report_week_manual", "entered_by_user_id"): ("users", "SET NULL"),
    ("lead_metrics", "report_week_id"): ("report_weeks", "CASCADE"),
    ("pipeline_stage_counts", "report_week_id"): ("report_weeks", "CASCADE"),
    ("hot_list_items", "report_week_id"): ("report_weeks", "CASCADE"),
    ("report_exports", "report_week_id"): ("report_weeks", "CASCADE"),
    ("report_exports", "requested_by_user_id"): ("users", "SET NULL"),
    ("sync_runs", "tenant_id"): ("tenants", "CASCADE"),
    ("ct_raw_snapshots", "tenant_id"): ("tenants", "CASCADE"),
    ("ct_raw_snapshots", "sync_run_id"): ("sync_runs", "SET NULL"),
    ("tenant_field_mappings", "tenant_id"): ("tenants", "CASCADE"),
    ("audit_log", "tenant_id"): ("tenants", "RESTRICT"),
    ("audit_log", "actor_user_id"): ("users", "RESTRICT"),
}


async def test_the_fifteen_tables_exist_and_are_the_apps(conn):
    rows = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1)",
        list(SEED_TABLES),
    )
    assert {r["tablename"] for r in rows} == SEED_TABLES
    assert {t._meta.tablename for t in APP_CONFIG.table_classes} == SEED_TABLES


async def test_every_primary_key_is_a_uuid_chosen_by_the_database(conn, graph):
    rows = await conn.fetch(
        """
        SELECT c.relname, format_type(a.atttypid, a.atttypmod) AS type,
               pg_get_expr(d.adbin, d.adrelid) AS default
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
        JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE i.indisprimary AND c.relname = ANY($1)
        """,
        list(SEED_TABLES),
    )
    assert {r["relname"]: (r["type"], r["default"]) for r in rows} == {
        table: ("uuid", "gen_random_uuid()") for table in SEED_TABLES
    }
    # graph inserted one row per table by raw SQL without an id
    assert set(graph) == SEED_TABLES
    assert len(set(graph.values())) == len(SEED_TABLES)
    assert {value.version for value in graph.values()} == {4}


async def test_the_eight_seed_indexes_exist_by_name(conn):
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        " AND indexname = ANY($1)",
        list(SEED_INDEXES),
    )
    actual = {r["indexname"]: r["indexdef"] for r in rows}
    assert actual == {
        name: f"CREATE INDEX {name} ON public.{target}" for name, target in SEED_INDEXES.items()
    }


async def test_no_index_duplicates_another(conn):
    rows = await conn.fetch(
        """
        SELECT indrelid::regclass::text AS tab, indkey::text AS keys,
               coalesce(pg_get_expr(indexprs, indrelid), '') AS exprs,
               coalesce(pg_get_expr(indpred, indrelid), '') AS pred,
               array_agg(indexrelid::regclass::text) AS names
        FROM pg_index
        WHERE indrelid::regclass::text = ANY($1)
        GROUP BY 1, 2, 3, 4
        HAVING count(*) > 1
        """,
        list(SEED_TABLES),
    )
    assert rows == []


def allowed_values(check_definition: str) -> set[str]:
    return set(re.findall(r"'([^']*)'::character varying", check_definition))


@pytest.mark.parametrize("table,column", ENUM_COLUMNS)
async def test_enum_is_enforced_by_postgres_with_the_python_values(tx, graph, table, column):
    choices = ENUM_COLUMNS[(table, column)]
    definition = await tx.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
        f"{table}_{column}_check",
    )
    assert allowed_values(definition) == {member.value for member in choices}
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        async with tx.transaction():
            await tx.execute(
                f"UPDATE {table} SET {column} = 'bogus'"
                f"{OTHER_COLUMNS_FOR_A_BAD_VALUE.get((table, column), '')} WHERE id = $1",
                graph[table],
            )
    assert refused.value.constraint_name == f"{table}_{column}_check"


async def test_foreign_keys_and_their_on_delete(conn):
    rows = await conn.fetch(
        """
        SELECT con.conrelid::regclass::text AS tab, a.attname AS col,
               con.confrelid::regclass::text AS ref,
               CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                    WHEN 'r' THEN 'RESTRICT' WHEN 'a' THEN 'NO ACTION' END AS on_delete
        FROM pg_constraint con
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
        WHERE con.contype = 'f' AND con.conrelid::regclass::text = ANY($1)
        """,
        list(SEED_TABLES),
    )
    assert {(r["tab"], r["col"]): (r["ref"], r["on_delete"]) for r in rows} == FOREIGN_KEYS


async def remaining(tx, graph) -> set[str]:
    found = set()
    for table, row_id in graph.items():
        if await tx.fetchval(f"SELECT count(*) FROM {table} WHERE id = $1", row_id):
            found.add(table)
    return found


async def test_deleting_a_tenant_deletes_everything_it_owns(tx, graph):
    await tx.execute("DELETE FROM tenants WHERE id = $1", graph["tenants"])
    assert await remaining(tx, graph) == {"users", "sessions", "audit_log"}
    assert (
        await tx.fetchval("SELECT active_tenant_id FROM sessions WHERE id = $1", graph["sessions"])
        is None
    )


async def test_deleting_a_user_deletes_their_memberships_and_sessions_only(tx, graph):
    await tx.execute("DELETE FROM users WHERE id = $1", graph["users"])
    assert await remaining(tx, graph) == SEED_TABLES - {"users", "memberships", "sessions"}
    assert (
        await tx.fetchrow(
            """
        SELECT (SELECT entered_by_user_id FROM report_week_manual WHERE id = $1) AS entered_by,
               (SELECT requested_by_user_id FROM report_exports WHERE id = $2) AS requested_by
        """,
            graph["report_week_manual"],
            graph["report_exports"],
        )
        == (None, None)
    )


async def test_deleting_a_report_week_deletes_its_contents(tx, graph):
    await tx.execute("DELETE FROM report_weeks WHERE id = $1", graph["report_weeks"])
    week_contents = {
        "report_weeks", "report_week_manual", "lead_metrics", "pipeline_stage_counts",
        "hot_list_items", "report_exports",
    }  # fmt: skip
    assert await remaining(tx, graph) == SEED_TABLES - week_contents


async def test_a_sync_run_is_history_and_keeps_its_snapshots(tx, graph):
    """The seed's ON DELETE SET NULL of ct_raw_snapshots.sync_run_id no longer
    happens: a sync run goes only with its tenant (reporting's
    sync_runs_are_history; tests/reporting/test_sync_run_history.py)."""
    with pytest.raises(asyncpg.RestrictViolationError, match="cannot be deleted"):
        async with tx.transaction():
            await tx.execute("DELETE FROM sync_runs WHERE id = $1", graph["sync_runs"])
    assert await remaining(tx, graph) == SEED_TABLES
    assert (
        await tx.fetchval(
            "SELECT sync_run_id FROM ct_raw_snapshots WHERE id = $1", graph["ct_raw_snapshots"]
        )
        == graph["sync_runs"]
    )


@pytest.mark.parametrize("parent,column", [("tenants", "tenant_id"), ("users", "actor_user_id")])
async def test_audit_history_forbids_deleting_whom_it_names(tx, graph, parent, column):
    await insert(tx, "audit_log", action="x.done", entity_type="x", **{column: graph[parent]})
    # PostgreSQL 18 reports a RESTRICT foreign key as restrict_violation,
    # earlier versions as foreign_key_violation.
    with pytest.raises(
        (asyncpg.RestrictViolationError, asyncpg.ForeignKeyViolationError)
    ) as refused:
        async with tx.transaction():
            await tx.execute(f"DELETE FROM {parent} WHERE id = $1", graph[parent])
    assert refused.value.constraint_name == f"audit_log_{column}_fkey"


async def test_email_is_unique_whatever_its_case(tx):
    await insert_user(tx, "A@x.com")
    with pytest.raises(asyncpg.UniqueViolationError) as refused:
        async with tx.transaction():
            await insert_user(tx, "a@x.com")
    assert refused.value.constraint_name == "users_email_lower_key"
    assert await tx.fetchval("SELECT email FROM users WHERE lower(email) = 'a@x.com'") == "A@x.com"


async def test_memberships_tenant_id_is_nullable_for_agency_admins(tx):
    assert (
        await tx.fetchval(
            "SELECT is_nullable FROM information_schema.columns"
            " WHERE table_name = 'memberships' AND column_name = 'tenant_id'"
        )
        == "YES"
    )
    assert (
        await tx.fetchval(
            "SELECT is_nullable FROM information_schema.columns"
            " WHERE table_name = 'memberships' AND column_name = 'user_id'"
        )
        == "NO"
    )
    user = await insert_user(tx)
    await insert(tx, "memberships", user_id=user, role="agency_admin")
    with pytest.raises(asyncpg.UniqueViolationError) as twice:
        async with tx.transaction():
            await insert(tx, "memberships", user_id=user, role="agency_admin")
    assert twice.value.constraint_name == "memberships_user_id_tenant_id_key"


@pytest.mark.parametrize("role,with_tenant", [("agency_admin", True), ("tenant_viewer", False)])
async def test_a_membership_has_a_tenant_exactly_when_it_is_not_agency_wide(tx, role, with_tenant):
    user, tenant = await insert_user(tx), await insert_tenant(tx)
    with pytest.raises(asyncpg.CheckViolationError) as refused:
        async with tx.transaction():
            await insert(
                tx,
                "memberships",
                user_id=user,
                role=role,
                tenant_id=tenant if with_tenant else None,
            )
    assert refused.value.constraint_name == "memberships_tenant_matches_role"


async def test_a_report_week_is_unique_per_tenant_and_date(tx, graph):
    row = await tx.fetchrow(
        "SELECT tenant_id, week_ending_date FROM report_weeks WHERE id = $1", graph["report_weeks"]
    )
    with pytest.raises(asyncpg.UniqueViolationError) as refused:
        async with tx.transaction():
            await insert(tx, "report_weeks", **dict(row))
    assert refused.value.constraint_name == "report_weeks_tenant_id_week_ending_date_key"


async def test_one_running_sync_per_tenant(tx, graph):
    tenant = graph["tenants"]
    with pytest.raises(asyncpg.UniqueViolationError) as refused:
        async with tx.transaction():
            await insert(tx, "sync_runs", tenant_id=tenant)
    assert refused.value.constraint_name == "sync_runs_one_running_per_tenant"
    await tx.execute(
        "UPDATE sync_runs SET status = 'completed', finished_at = now() WHERE id = $1",
        graph["sync_runs"],
    )
    assert await insert(tx, "sync_runs", tenant_id=tenant)
