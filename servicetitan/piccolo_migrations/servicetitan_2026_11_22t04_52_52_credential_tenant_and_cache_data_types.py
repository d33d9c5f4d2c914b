from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check

ID = "2026-11-22T04:52:52:886872"
VERSION = "1.38.0"
DESCRIPTION = "credential_tenant_and_cache_data_types"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="tenant_id",
        db_column_name="tenant_id",
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
        schema=None,
    )

    manager.alter_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="data_type",
        db_column_name="data_type",
        params={
            "choices": Enum(
                "DataType",
                {
                    "invoices": "invoices",
                    "customers": "customers",
                    "both": "both",
                    "locations": "locations",
                    "jobs": "jobs",
                    "appointments": "appointments",
                    "technicians": "technicians",
                },
            )
        },
        old_params={
            "choices": Enum(
                "DataType",
                {
                    "invoices": "invoices",
                    "customers": "customers",
                    "both": "both",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.drop_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_data_type_check",
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        constraint_name="servicetitan_credentials_tenant_id_positive",
        constraint_class=Check,
        params={"condition": "tenant_id > 0"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_data_type_values",
        constraint_class=Check,
        params={
            "condition": "\"data_type\" IN ('invoices', 'customers', 'both', 'locations', 'jobs', 'appointments', 'technicians')"
        },
        schema=None,
    )

    return manager
