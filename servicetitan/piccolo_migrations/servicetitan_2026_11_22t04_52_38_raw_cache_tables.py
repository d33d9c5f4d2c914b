from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Array
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import DoublePrecision
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Numeric
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique

ID = "2026-11-22T04:52:38:233866"
VERSION = "1.38.0"
DESCRIPTION = "raw_cache_tables"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.add_table(
        class_name="StTechnician",
        tablename="st_technicians",
        schema="raw",
        columns=None,
    )

    manager.add_table(
        class_name="StAppointment",
        tablename="st_appointments",
        schema="raw",
        columns=None,
    )

    manager.add_table(
        class_name="StJob", tablename="st_jobs", schema="raw", columns=None
    )

    manager.add_table(
        class_name="SyncState", tablename="sync_state", schema="raw", columns=None
    )

    manager.add_table(
        class_name="StLocation",
        tablename="st_locations",
        schema="raw",
        columns=None,
    )

    manager.add_table(
        class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        schema="raw",
        columns=None,
    )

    manager.add_column(
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="user_id",
        db_column_name="user_id",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="first_name",
        db_column_name="first_name",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="last_name",
        db_column_name="last_name",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="email",
        db_column_name="email",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="phone_number",
        db_column_name="phone_number",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="mobile_phone",
        db_column_name="mobile_phone",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="login_name",
        db_column_name="login_name",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="team",
        db_column_name="team",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="main_zone_id",
        db_column_name="main_zone_id",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        column_name="zone_ids",
        db_column_name="zone_ids",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": None,
            "base_column": BigInt(
                default=0,
                null=False,
                primary_key=False,
                unique=False,
                index=False,
                index_method=IndexMethod.btree,
                choices=None,
                db_column_name=None,
                secret=False,
            ),
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
        column_name="skills",
        db_column_name="skills",
        column_class_name="JSONB",
        column_class=JSONB,
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
        column_name="status",
        db_column_name="status",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="appointment_number",
        db_column_name="appointment_number",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="start_time",
        db_column_name="start_time",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="end_time",
        db_column_name="end_time",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="arrival_window_start",
        db_column_name="arrival_window_start",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="arrival_window_end",
        db_column_name="arrival_window_end",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="status",
        db_column_name="status",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
        column_name="is_confirmed",
        db_column_name="is_confirmed",
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
        table_class_name="StAppointment",
        tablename="st_appointments",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="job_status",
        db_column_name="job_status",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="priority",
        db_column_name="priority",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="job_type_id",
        db_column_name="job_type_id",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="campaign_id",
        db_column_name="campaign_id",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="appointment_count",
        db_column_name="appointment_count",
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
        schema="raw",
    )

    manager.add_column(
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="first_appointment_id",
        db_column_name="first_appointment_id",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="last_appointment_id",
        db_column_name="last_appointment_id",
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
        table_class_name="StJob",
        tablename="st_jobs",
        column_name="completed_on",
        db_column_name="completed_on",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="StJob",
        tablename="st_jobs",
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
        table_class_name="SyncState",
        tablename="sync_state",
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
        schema="raw",
    )

    manager.add_column(
        table_class_name="SyncState",
        tablename="sync_state",
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
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="table_name",
        db_column_name="table_name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 63,
            "default": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "CachedTable",
                {
                    "st_locations": "st_locations",
                    "st_jobs": "st_jobs",
                    "st_appointments": "st_appointments",
                    "st_appointment_assignments": "st_appointment_assignments",
                    "st_technicians": "st_technicians",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="raw",
    )

    manager.add_column(
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="last_full_sync",
        db_column_name="last_full_sync",
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
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="last_incremental_sync",
        db_column_name="last_incremental_sync",
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
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="records_synced",
        db_column_name="records_synced",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
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
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="last_error",
        db_column_name="last_error",
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
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="created_at",
        db_column_name="created_at",
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
        table_class_name="SyncState",
        tablename="sync_state",
        column_name="updated_at",
        db_column_name="updated_at",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
        column_name="latitude",
        db_column_name="latitude",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
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
        table_class_name="StLocation",
        tablename="st_locations",
        column_name="longitude",
        db_column_name="longitude",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
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
        table_class_name="StLocation",
        tablename="st_locations",
        column_name="zone_id",
        db_column_name="zone_id",
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
        table_class_name="StLocation",
        tablename="st_locations",
        column_name="tax_zone_id",
        db_column_name="tax_zone_id",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StLocation",
        tablename="st_locations",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        column_name="appointment_id",
        db_column_name="appointment_id",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        column_name="technician_id",
        db_column_name="technician_id",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        column_name="technician_name",
        db_column_name="technician_name",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        column_name="assigned_on",
        db_column_name="assigned_on",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        column_name="status",
        db_column_name="status",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        column_name="is_paused",
        db_column_name="is_paused",
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
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
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
        table_class_name="StTechnician",
        tablename="st_technicians",
        constraint_name="st_technicians_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="StAppointment",
        tablename="st_appointments",
        constraint_name="st_appointments_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="StJob",
        tablename="st_jobs",
        constraint_name="st_jobs_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="SyncState",
        tablename="sync_state",
        constraint_name="sync_state_tenant_id_table_name_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "table_name"], "nulls_distinct": True},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="SyncState",
        tablename="sync_state",
        constraint_name="sync_state_table_name_check",
        constraint_class=Check,
        params={
            "condition": "\"table_name\" IN ('st_locations', 'st_jobs', 'st_appointments', 'st_appointment_assignments', 'st_technicians')"
        },
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="SyncState",
        tablename="sync_state",
        constraint_name="sync_state_records_synced_not_negative",
        constraint_class=Check,
        params={"condition": "records_synced >= 0"},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="StLocation",
        tablename="st_locations",
        constraint_name="st_locations_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    manager.add_constraint(
        table_class_name="StAppointmentAssignment",
        tablename="st_appointment_assignments",
        constraint_name="st_appointment_assignments_tenant_id_id_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "id"], "nulls_distinct": True},
        schema="raw",
    )

    return manager
