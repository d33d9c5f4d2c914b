"""The raw schema as the migrations build it, and what PostgreSQL makes of it."""

import asyncpg
import pytest

from servicetitan.cache.raw_tables import CACHE_TABLES as TABLE_CLASSES
from servicetitan.cache.raw_tables import StJob
from servicetitan.cache.sync_state import CachedTable
from servicetitan.sync.run import run_sync
from tests.servicetitan.records import job

CACHE_TABLES = [
    "st_locations",
    "st_customers",
    "st_jobs",
    "st_appointments",
    "st_appointment_assignments",
    "st_technicians",
    "st_invoices",
]

SOME_INDEXES = {
    "st_jobs_tenant_status_idx": "(tenant_id, job_status)",
    "st_jobs_tenant_customer_idx": "(tenant_id, customer_id)",
    "st_jobs_tenant_location_idx": "(tenant_id, location_id)",
    "st_jobs_tenant_modified_idx": "(tenant_id, modified_on)",
    "st_appointments_tenant_start_idx": "(tenant_id, start_time)",
    "st_appointment_assignments_tenant_technician_idx": "(tenant_id, technician_id)",
    "st_locations_tenant_zone_active_idx": "(tenant_id, zone_id) WHERE active",
    "st_technicians_tenant_business_unit_active_idx": "(tenant_id, business_unit_id) WHERE active",
    "st_customers_tenant_modified_idx": "(tenant_id, modified_on)",
    "st_customers_tenant_name_active_idx": "(tenant_id, name) WHERE active",
    "st_invoices_tenant_customer_date_idx": "(tenant_id, customer_id, invoice_date DESC)",
    "st_invoices_tenant_date_idx": "(tenant_id, invoice_date)",
    "st_invoices_tenant_job_idx": "(tenant_id, job_id)",
}

# The lookups people make of a tenant's customers and invoices, and the
# index that answers each.
LOOKUPS = {
    "the customer of a job": (
        "SELECT c.name FROM raw.st_jobs j JOIN raw.st_customers c"
        " ON c.tenant_id = j.tenant_id AND c.id = j.customer_id"
        " WHERE j.tenant_id = $1 AND j.id = $2",
        "st_customers_tenant_id_id_key",
    ),
    "a customer's invoices, newest first": (
        "SELECT id, total FROM raw.st_invoices WHERE tenant_id = $1 AND customer_id = $2"
        " ORDER BY invoice_date DESC LIMIT 20",
        "st_invoices_tenant_customer_date_idx",
    ),
    "a tenant's invoices of a month": (
        "SELECT id FROM raw.st_invoices WHERE tenant_id = $1"
        " AND invoice_date >= '2025-03-01' AND invoice_date < '2025-04-01' ORDER BY invoice_date",
        "st_invoices_tenant_date_idx",
    ),
    "a job's invoices": (
        "SELECT id FROM raw.st_invoices WHERE tenant_id = $1 AND job_id = $2",
        "st_invoices_tenant_job_idx",
    ),
}


async def test_cache_tables_live_in_raw(conn):
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'raw'")
    assert {r["tablename"] for r in rows} == {*CACHE_TABLES, "sync_state"}


@pytest.mark.parametrize("table", CACHE_TABLES)
async def test_cache_tables_are_keyed_by_tenant_and_id_with_a_gin_on_full_data(conn, table):
    unique = await conn.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype = 'u'",
        f"raw.{table}",
    )
    assert unique == "UNIQUE (tenant_id, id)"
    gin = await conn.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'raw' AND indexname = $1",
        f"{table}_full_data_gin",
    )
    assert gin.endswith("USING gin (full_data jsonb_path_ops)")


async def test_composite_and_partial_indexes(conn):
    rows = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'raw'")
    actual = {r["indexname"]: r["indexdef"] for r in rows}
    for name, definition in SOME_INDEXES.items():
        assert actual[name].endswith(f"USING btree {definition}"), actual.get(name)


@pytest.mark.parametrize("lookup", LOOKUPS)
async def test_customer_and_invoice_lookups_use_their_index(tx, lookup):
    """On tables of 20,000 invoices of 500 customers (20 tenants),
    analyzed, the planner answers each lookup from the index named."""
    sql, index = LOOKUPS[lookup]
    for table, rows in (("st_customers", 10_000), ("st_jobs", 10_000), ("st_invoices", 20_000)):
        await tx.execute(
            f"""
            INSERT INTO raw.{table} (tenant_id, id, full_data)
            SELECT 9000001 + n % 20, n, '{{}}' FROM generate_series(1, {rows}) AS n
            """
        )
    await tx.execute(
        """
        UPDATE raw.st_jobs SET customer_id = id % 500;
        UPDATE raw.st_invoices SET customer_id = id % 500, job_id = id % 10000,
            invoice_date = timestamptz '2025-01-01' + id * interval '30 minutes';
        ANALYZE raw.st_customers, raw.st_jobs, raw.st_invoices;
        """
    )
    params = [9_000_001, 5][: sql.count("$")]
    plan = "\n".join(row[0] for row in await tx.fetch(f"EXPLAIN {sql}", *params))
    assert index in plan, plan


def test_sync_state_knows_every_cache_table():
    assert {member.value for member in CachedTable} == set(CACHE_TABLES) == set(TABLE_CLASSES)


async def test_sync_state_is_one_row_per_tenant_and_table(conn, tenant):
    insert = "INSERT INTO raw.sync_state (tenant_id, table_name) VALUES ($1, $2)"
    await conn.execute(insert, tenant, "st_jobs")
    with pytest.raises(asyncpg.UniqueViolationError, match="sync_state_tenant_id_table_name_key"):
        await conn.execute(insert, tenant, "st_jobs")
    await conn.execute(insert, tenant, "st_invoices")
    with pytest.raises(asyncpg.CheckViolationError, match="sync_state_table_name_7_values"):
        await conn.execute(insert, tenant, "st_estimates")
    columns = await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = 'sync_state'"
    )
    assert {c["column_name"] for c in columns} >= {
        "tenant_id",
        "table_name",
        "last_full_sync",
        "last_incremental_sync",
        "records_synced",
        "last_error",
    }


async def test_sync_state_updated_at_moves_on_raw_sql_updates(conn, tenant):
    await conn.execute(
        "INSERT INTO raw.sync_state (tenant_id, table_name, updated_at) "
        "VALUES ($1, 'st_jobs', '2000-01-01')",
        tenant,
    )
    await conn.execute("UPDATE raw.sync_state SET records_synced = 5 WHERE tenant_id = $1", tenant)
    moved = await conn.fetchval(
        "SELECT updated_at > '2001-01-01' FROM raw.sync_state WHERE tenant_id = $1", tenant
    )
    assert moved


async def test_sync_logs_take_the_cache_data_types_and_still_refuse_others(conn, credential):
    insert = (
        "INSERT INTO servicetitan_sync_logs (servicetitan_credential_id, sync_type, data_type, "
        "status) VALUES ($1, 'manual', $2, 'running')"
    )
    for data_type in ("invoices", "customers", "both", "jobs", "technicians", "assignments"):
        await conn.execute(insert, credential.id, data_type)
    with pytest.raises(
        asyncpg.CheckViolationError, match="servicetitan_sync_logs_data_type_8_values"
    ):
        await conn.execute(insert, credential.id, "estimates")


async def test_credential_tenant_id_must_be_positive(conn, credential):
    with pytest.raises(asyncpg.CheckViolationError, match="tenant_id_positive"):
        await conn.execute(
            "UPDATE servicetitan_credentials SET tenant_id = 0 WHERE id = $1", credential.id
        )


async def test_gin_index_answers_containment_queries_after_a_sync_run(conn, credential, tenant):
    records = [job(i, jobStatus="Completed") for i in range(1, 3001)]
    records[1234]["customFields"] = [{"typeId": 9, "name": "Gate code", "value": "7781"}]
    await run_sync(credential, StJob, [records], full=True)
    await conn.execute("ANALYZE raw.st_jobs")
    query = """
        SELECT id FROM raw.st_jobs
        WHERE tenant_id = $1 AND full_data @> '{"customFields": [{"value": "7781"}]}'
    """
    async with conn.transaction():
        # Only the sequential scan is taken off the table, so that the test
        # does not depend on how many rows other tests left: which index
        # answers is PostgreSQL's own choice.
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = [r[0] for r in await conn.fetch(f"EXPLAIN {query}", tenant)]
    assert any("Bitmap Index Scan on st_jobs_full_data_gin" in line for line in plan), plan
    assert await conn.fetch(query, tenant) == [(1235,)]
