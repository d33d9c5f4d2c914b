from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSON
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamp
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamp import TimestampNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique
from piccolo.table import Table


class Company(Table, tablename="companies", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class ServiceTitanCredential(
    Table, tablename="servicetitan_credentials", schema=None
):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-22T04:42:11:176745"
VERSION = "1.38.0"
DESCRIPTION = "credentials_and_sync_logs"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.add_table(
        class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="id",
        db_column_name="id",
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
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="servicetitan_credential",
        db_column_name="servicetitan_credential_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": ServiceTitanCredential,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "servicetitan_credential_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="sync_type",
        db_column_name="sync_type",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "SyncType", {"manual": "manual", "scheduled": "scheduled"}
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="data_type",
        db_column_name="data_type",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "DataType",
                {
                    "invoices": "invoices",
                    "customers": "customers",
                    "both": "both",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "SyncStatus",
                {
                    "running": "running",
                    "completed": "completed",
                    "failed": "failed",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="started_at",
        db_column_name="started_at",
        column_class_name="Timestamp",
        column_class=Timestamp,
        params={
            "default": TimestampNow(),
            "null": False,
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

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="completed_at",
        db_column_name="completed_at",
        column_class_name="Timestamp",
        column_class=Timestamp,
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

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="records_processed",
        db_column_name="records_processed",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="records_successful",
        db_column_name="records_successful",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="records_failed",
        db_column_name="records_failed",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="error_message",
        db_column_name="error_message",
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
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="error_details",
        db_column_name="error_details",
        column_class_name="JSON",
        column_class=JSON,
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

    manager.add_column(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        column_name="processing_time_seconds",
        db_column_name="processing_time_seconds",
        column_class_name="Integer",
        column_class=Integer,
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

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="id",
        db_column_name="id",
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
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="company",
        db_column_name="company_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Company,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "company_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="environment",
        db_column_name="environment",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "Environment",
                {"integration": "integration", "production": "production"},
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="client_id",
        db_column_name="client_id",
        column_class_name="Text",
        column_class=Text,
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
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="client_secret",
        db_column_name="client_secret",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="access_token",
        db_column_name="access_token",
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
            "secret": True,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="refresh_token",
        db_column_name="refresh_token",
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
            "secret": True,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="token_expires_at",
        db_column_name="token_expires_at",
        column_class_name="Timestamp",
        column_class=Timestamp,
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

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="connection_status",
        db_column_name="connection_status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "inactive",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "ConnectionStatus",
                {"active": "active", "inactive": "inactive", "error": "error"},
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="last_connection_attempt",
        db_column_name="last_connection_attempt",
        column_class_name="Timestamp",
        column_class=Timestamp,
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

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamp",
        column_class=Timestamp,
        params={
            "default": TimestampNow(),
            "null": False,
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

    manager.add_column(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamp",
        column_class=Timestamp,
        params={
            "default": TimestampNow(),
            "null": False,
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

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_sync_type_check",
        constraint_class=Check,
        params={"condition": "\"sync_type\" IN ('manual', 'scheduled')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_data_type_check",
        constraint_class=Check,
        params={
            "condition": "\"data_type\" IN ('invoices', 'customers', 'both')"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_status_check",
        constraint_class=Check,
        params={"condition": "\"status\" IN ('running', 'completed', 'failed')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_counts_not_negative",
        constraint_class=Check,
        params={
            "condition": "records_processed >= 0 AND records_successful >= 0 AND records_failed >= 0"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_counts_add_up",
        constraint_class=Check,
        params={
            "condition": "coalesce(records_successful, 0) + coalesce(records_failed, 0) <= coalesce(records_processed, 0)"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_completion_matches_status",
        constraint_class=Check,
        params={"condition": "(status = 'running') = (completed_at IS NULL)"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_completed_after_start",
        constraint_class=Check,
        params={
            "condition": "completed_at IS NULL OR completed_at >= started_at"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        constraint_name="servicetitan_credentials_company_id_environment_key",
        constraint_class=Unique,
        params={"columns": ["company_id", "environment"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        constraint_name="servicetitan_credentials_environment_check",
        constraint_class=Check,
        params={"condition": "\"environment\" IN ('integration', 'production')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        constraint_name="servicetitan_credentials_connection_status_check",
        constraint_class=Check,
        params={
            "condition": "\"connection_status\" IN ('active', 'inactive', 'error')"
        },
        schema=None,
    )

    return manager
