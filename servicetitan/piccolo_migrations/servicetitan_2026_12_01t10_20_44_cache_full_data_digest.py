"""Every raw cache table gets ``full_data_digest``: BLAKE2b-128 of the JSON
text ``full_data`` was written from, so that a re-sync of unchanged records
is settled by comparing digests and writes nothing (issue 12,
``servicetitan/bulk_upsert.py``).

On a live, filled table: a nullable column without a default is a catalog
change only (no rewrite, no scan; ACCESS EXCLUSIVE for an instant, and the
deploy's ``lock_timeout`` bounds the wait). Existing rows keep NULL, which
the upsert compares by content instead, and gain a digest when next
written. No index: the digest is read through the ``(tenant_id, id)`` one.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T10:20:44:698106"
VERSION = "1.38.0"
DESCRIPTION = "cache_full_data_digest"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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

    return manager
