"""Indexes of ``raw.st_customers`` and ``raw.st_invoices`` for the lookups
people make of a tenant's cache, each leading with ``tenant_id`` as every
cache index does (``raw_cache_indexes``):

- a tenant's records by modification date (every cache table has it);
- containment queries on ``full_data`` (GIN, ``jsonb_path_ops``);
- the customer of a job, a location or an invoice: the ``(tenant_id, id)``
  key ``customers_and_invoices_cache`` made;
- a customer by name, among the active ones;
- a customer's invoices, newest first, and a tenant's invoices by date;
- a job's invoices.

Built CONCURRENTLY, as on tables that take writes (the syncs' upserts), so
this migration runs outside a transaction, one statement per step.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.online import ConcurrentIndex
from platform_db.migrations.steps import add_sql_steps

ID = "2026-12-07T02:54:43:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers_and_invoices_indexes"

INDEXES = [
    ConcurrentIndex(
        "st_customers_tenant_modified_idx", "raw.st_customers", "(tenant_id, modified_on)"
    ),
    ConcurrentIndex(
        "st_customers_full_data_gin", "raw.st_customers", "USING gin (full_data jsonb_path_ops)"
    ),
    ConcurrentIndex(
        "st_customers_tenant_name_active_idx", "raw.st_customers", "(tenant_id, name) WHERE active"
    ),
    ConcurrentIndex(
        "st_invoices_tenant_modified_idx", "raw.st_invoices", "(tenant_id, modified_on)"
    ),
    ConcurrentIndex(
        "st_invoices_full_data_gin", "raw.st_invoices", "USING gin (full_data jsonb_path_ops)"
    ),
    ConcurrentIndex(
        "st_invoices_tenant_customer_date_idx",
        "raw.st_invoices",
        "(tenant_id, customer_id, invoice_date DESC)",
    ),
    ConcurrentIndex("st_invoices_tenant_date_idx", "raw.st_invoices", "(tenant_id, invoice_date)"),
    ConcurrentIndex("st_invoices_tenant_job_idx", "raw.st_invoices", "(tenant_id, job_id)"),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID,
        app_name="servicetitan",
        description=DESCRIPTION,
        wrap_in_transaction=False,
    )
    add_sql_steps(manager, *INDEXES)
    return manager
