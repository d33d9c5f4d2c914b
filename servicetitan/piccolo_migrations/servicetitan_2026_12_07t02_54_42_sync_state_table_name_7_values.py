"""``raw.sync_state`` keeps state for ``st_customers`` and ``st_invoices``
too: its table_name CHECK is widened on the filled, written-to table (added
NOT VALID, then validated: ``LiveTableMigrationManager``).
"""

from enum import Enum
from piccolo.columns.column_types import Varchar
from piccolo.constraints import Check

from platform_db.migrations.online import LiveTableMigrationManager

ID = "2026-12-07T02:54:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync_state_table_name_7_values"


async def forwards():
    manager = LiveTableMigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="table_name",
        db_column_name="table_name",
        params={
            "choices": Enum(
                "CachedTable",
                {
                    "st_locations": "st_locations",
                    "st_customers": "st_customers",
                    "st_jobs": "st_jobs",
                    "st_appointments": "st_appointments",
                    "st_appointment_assignments": "st_appointment_assignments",
                    "st_technicians": "st_technicians",
                    "st_invoices": "st_invoices",
                },
            )
        },
        old_params={
            "choices": Enum(
                "CachedTable",
                {
                    "st_locations": "st_locations",
                    "st_jobs": "st_jobs",
                    "st_appointments": "st_appointments",
                    "st_appointment_assignments": "st_appointment_assignments",
                    "st_technicians": "st_technicians",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema="raw",
    )

    manager.drop_constraint(
        table_class_name="SyncState",
        tablename="sync_state",
        constraint_name="sync_state_table_name_check",
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="SyncState",
        tablename="sync_state",
        constraint_name="sync_state_table_name_7_values",
        constraint_class=Check,
        params={
            "condition": "\"table_name\" IN ('st_locations', 'st_customers', 'st_jobs', 'st_appointments', 'st_appointment_assignments', 'st_technicians', 'st_invoices')"
        },
        schema="raw",
    )

    return manager
