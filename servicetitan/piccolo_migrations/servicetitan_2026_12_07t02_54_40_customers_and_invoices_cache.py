"""The cache's tables for seed 002's data types: ``raw.st_customers`` (crm-v2
export/customers) and ``raw.st_invoices`` (accounting-v2 export/invoices),
as the other cache tables (``servicetitan/cache/raw_tables.py``). New, empty
tables: their indexes follow in ``customers_and_invoices_indexes``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Numeric
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique

ID = "2026-12-07T02:54:40:184079"
VERSION = "1.38.0"
DESCRIPTION = "customers_and_invoices_cache"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)

    manager.add_table(
        class_name="StInvoice",
        tablename="st_invoices",
        schema="raw",
        columns=None,
    )

    manager.add_table(
        class_name="StCustomer",
        tablename="st_customers",
        schema="raw",
        columns=None,
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="row_id",
        db_column_name="row_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="tenant_id",
        db_column_name="tenant_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="id",
        db_column_name="id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="created_on",
        db_column_name="created_on",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="modified_on",
        db_column_name="modified_on",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="synced_at",
        db_column_name="synced_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="full_data",
        db_column_name="full_data",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="full_data_digest",
        db_column_name="full_data_digest",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="reference_number",
        db_column_name="reference_number",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="invoice_date",
        db_column_name="invoice_date",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="due_date",
        db_column_name="due_date",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="paid_on",
        db_column_name="paid_on",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="customer_id",
        db_column_name="customer_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="location_id",
        db_column_name="location_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="job_id",
        db_column_name="job_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="job_number",
        db_column_name="job_number",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="project_id",
        db_column_name="project_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="business_unit_id",
        db_column_name="business_unit_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="adjustment_to_id",
        db_column_name="adjustment_to_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="sub_total",
        db_column_name="sub_total",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="sales_tax",
        db_column_name="sales_tax",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="total",
        db_column_name="total",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="balance",
        db_column_name="balance",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="sync_status",
        db_column_name="sync_status",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="sent_status",
        db_column_name="sent_status",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="review_status",
        db_column_name="review_status",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StInvoice",
        tablename="st_invoices",
        column_name="active",
        db_column_name="active",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="row_id",
        db_column_name="row_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="tenant_id",
        db_column_name="tenant_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="id",
        db_column_name="id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="created_on",
        db_column_name="created_on",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="modified_on",
        db_column_name="modified_on",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="synced_at",
        db_column_name="synced_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="full_data",
        db_column_name="full_data",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="full_data_digest",
        db_column_name="full_data_digest",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="name",
        db_column_name="name",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="type",
        db_column_name="type",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="street",
        db_column_name="street",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="unit",
        db_column_name="unit",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="city",
        db_column_name="city",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="state",
        db_column_name="state",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="zip",
        db_column_name="zip",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="country",
        db_column_name="country",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="balance",
        db_column_name="balance",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="tax_exempt",
        db_column_name="tax_exempt",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="do_not_mail",
        db_column_name="do_not_mail",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="do_not_service",
        db_column_name="do_not_service",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="national_account",
        db_column_name="national_account",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="merged_to_id",
        db_column_name="merged_to_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="StCustomer",
        tablename="st_customers",
        column_name="active",
        db_column_name="active",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="StInvoice",
        tablename="st_invoices",
        constraint_name="st_invoices_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="StCustomer",
        tablename="st_customers",
        constraint_name="st_customers_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    return manager
