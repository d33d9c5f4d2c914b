"""Sync logs of raw.st_appointment_assignments get their own data_type,
``assignments``: the data_type CHECK is widened on the filled, written-to
table (added NOT VALID, then validated: ``LiveTableMigrationManager``)."""

from enum import Enum

from piccolo.columns.column_types import Varchar
from piccolo.constraints import Check

from platform_db.migrations.online import LiveTableMigrationManager

ID = "2026-12-01T10:01:16:561388"
VERSION = "1.38.0"
DESCRIPTION = "sync_log_data_type_assignments"


async def forwards():
    manager = LiveTableMigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
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
                    "assignments": "assignments",
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
                    "locations": "locations",
                    "jobs": "jobs",
                    "appointments": "appointments",
                    "technicians": "technicians",
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
        constraint_name="servicetitan_sync_logs_data_type_values",
        schema=None,
    )

    manager.add_constraint(
        table_class_name="ServiceTitanSyncLog",
        tablename="servicetitan_sync_logs",
        constraint_name="servicetitan_sync_logs_data_type_8_values",
        constraint_class=Check,
        params={
            "condition": "\"data_type\" IN ('invoices', 'customers', 'both', 'locations', 'jobs', 'appointments', 'technicians', 'assignments')"
        },
        schema=None,
    )

    return manager
