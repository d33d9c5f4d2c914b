"""The ServiceTitan cache in the Postgres schema ``raw`` (seed 001).

Each cache table holds one tenant's copy of a ServiceTitan entity: the whole
API record in ``full_data`` and the fields users filter on promoted into
typed columns. ``API_FIELDS`` maps each promoted column to the record's field
(ServiceTitan's OpenAPI names, dotted for nested objects); the column's type
says how the value is parsed (``servicetitan.cache.records``).

Rows are keyed by ``(tenant_id, id)``, ``id`` being ServiceTitan's own id:
ids are unique per tenant only. Piccolo needs a one-column primary key, so
``row_id`` is a surrogate nobody else refers to.

Real payloads deviate from the specs (nulls where a field is required,
statuses the spec does not list), so every promoted column is nullable and
no status gets a CHECK: the cache takes records as they come.

Composite, partial and GIN indexes are raw SQL in the migrations (Piccolo
cannot name them, and cannot drop an index outside ``public``).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from platform_db.values.choices import coerce, values_check
from platform_db.values.guarded import Guarded
from servicetitan.cache.bulk_upsert import upsert

SCHEMA = "raw"


def _tenant_id() -> BigInt:
    return BigInt(null=False, default=None)


def _nullable(column_class, **kwargs):
    return column_class(null=True, default=None, **kwargs)


class CacheTable(Guarded, Table):
    """What every cache table has; concrete tables list their promoted fields."""

    row_id = UUID(primary_key=True)
    tenant_id = _tenant_id()
    # ServiceTitan's id of the record, unique within a tenant.
    id = BigInt(null=False, default=None)
    created_on = _nullable(Timestamptz)
    modified_on = _nullable(Timestamptz)
    synced_at = Timestamptz(null=False, default=TimestamptzNow())
    full_data = JSONB(null=False, default=None)
    # BLAKE2b-128 of the JSON text full_data was written from
    # (servicetitan.cache.records.digest): a re-sync that sends the same text
    # again is settled by comparing it. NULL for rows written before it
    # existed, which are compared by content instead.
    full_data_digest = UUID(null=True, default=None)

    # promoted column -> field of the API record ("address.city" is nested)
    API_FIELDS: dict[str, str] = {}
    # the sync log's data_type (servicetitan.enums.DataType) for this entity
    DATA_TYPE: str = ""

    @classmethod
    def full_data_index(cls) -> str:
        """The GIN index on ``full_data`` (created by the migrations)."""
        return f"{SCHEMA}.{cls._meta.tablename}_full_data_gin"

    @classmethod
    def for_tenant(cls, tenant_id: int, *columns):
        """A select of one tenant's rows: every cache read starts here."""
        return cls.select(*columns).where(cls.tenant_id == tenant_id)

    @classmethod
    async def upsert(cls, tenant_id: int, records, connection=None):
        """Insert or update ``records`` (API dicts) for a tenant; see
        ``servicetitan.cache.bulk_upsert.upsert``."""
        return await upsert(cls, tenant_id, records, connection=connection)


_COMMON_FIELDS = {"created_on": "createdOn", "modified_on": "modifiedOn"}


class StLocation(CacheTable, tablename="st_locations", schema=SCHEMA):
    """crm-v2 ``Crm.V2.Locations.LocationResponse`` / ``ExportLocationsResponse``."""

    customer_id = _nullable(BigInt)
    name = _nullable(Text)
    street = _nullable(Text)
    unit = _nullable(Text)
    city = _nullable(Text)
    state = _nullable(Text)
    zip = _nullable(Text)
    country = _nullable(Text)
    latitude = _nullable(DoublePrecision)
    longitude = _nullable(DoublePrecision)
    zone_id = _nullable(BigInt)
    tax_zone_id = _nullable(BigInt)
    tax_exempt = _nullable(Boolean)
    merged_to_id = _nullable(BigInt)
    active = _nullable(Boolean)

    st_locations_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "locations"
    API_FIELDS = {
        "customer_id": "customerId",
        "name": "name",
        "street": "address.street",
        "unit": "address.unit",
        "city": "address.city",
        "state": "address.state",
        "zip": "address.zip",
        "country": "address.country",
        "latitude": "address.latitude",
        "longitude": "address.longitude",
        "zone_id": "zoneId",
        "tax_zone_id": "taxZoneId",
        "tax_exempt": "taxExempt",
        "merged_to_id": "mergedToId",
        "active": "active",
        **_COMMON_FIELDS,
    }


class StJob(CacheTable, tablename="st_jobs", schema=SCHEMA):
    """jpm-v2 ``Jpm.V2.JobResponse`` / ``ExportJobsResponse``.

    A job's schedule is its appointments: the job carries their count, the
    first and last one, and when it was completed.
    """

    job_number = _nullable(Text)
    job_status = _nullable(Text)
    priority = _nullable(Text)
    customer_id = _nullable(BigInt)
    location_id = _nullable(BigInt)
    project_id = _nullable(BigInt)
    business_unit_id = _nullable(BigInt)
    job_type_id = _nullable(BigInt)
    campaign_id = _nullable(BigInt)
    appointment_count = _nullable(Integer)
    first_appointment_id = _nullable(BigInt)
    last_appointment_id = _nullable(BigInt)
    completed_on = _nullable(Timestamptz)
    total = _nullable(Numeric)
    # Only export pages carry ``active``; list pages leave it null.
    active = _nullable(Boolean)

    st_jobs_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "jobs"
    API_FIELDS = {
        "job_number": "jobNumber",
        "job_status": "jobStatus",
        "priority": "priority",
        "customer_id": "customerId",
        "location_id": "locationId",
        "project_id": "projectId",
        "business_unit_id": "businessUnitId",
        "job_type_id": "jobTypeId",
        "campaign_id": "campaignId",
        "appointment_count": "appointmentCount",
        "first_appointment_id": "firstAppointmentId",
        "last_appointment_id": "lastAppointmentId",
        "completed_on": "completedOn",
        "total": "total",
        "active": "active",
        **_COMMON_FIELDS,
    }


class StAppointment(CacheTable, tablename="st_appointments", schema=SCHEMA):
    """jpm-v2 ``Jpm.V2.AppointmentResponse`` / ``ExportAppointmentsResponse``.

    Technicians are not on the appointment in ServiceTitan: dispatch-v2
    assigns them, and those assignments are ``StAppointmentAssignment``.
    """

    job_id = _nullable(BigInt)
    customer_id = _nullable(BigInt)
    appointment_number = _nullable(Text)
    # "start" / "end" in the API; ``end`` is an SQL keyword.
    start_time = _nullable(Timestamptz)
    end_time = _nullable(Timestamptz)
    arrival_window_start = _nullable(Timestamptz)
    arrival_window_end = _nullable(Timestamptz)
    status = _nullable(Text)
    is_confirmed = _nullable(Boolean)
    active = _nullable(Boolean)

    st_appointments_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "appointments"
    API_FIELDS = {
        "job_id": "jobId",
        "customer_id": "customerId",
        "appointment_number": "appointmentNumber",
        "start_time": "start",
        "end_time": "end",
        "arrival_window_start": "arrivalWindowStart",
        "arrival_window_end": "arrivalWindowEnd",
        "status": "status",
        "is_confirmed": "isConfirmed",
        "active": "active",
        **_COMMON_FIELDS,
    }


class StAppointmentAssignment(
    CacheTable, tablename="st_appointment_assignments", schema=SCHEMA
):
    """dispatch-v2 ``Dispatch.V2.AppointmentAssignmentResponse``: which
    technician works which appointment (the appointment's technician
    references). Kept as records of their own so an assignment is never lost
    for an appointment that is not cached yet."""

    appointment_id = _nullable(BigInt)
    job_id = _nullable(BigInt)
    technician_id = _nullable(BigInt)
    technician_name = _nullable(Text)
    assigned_on = _nullable(Timestamptz)
    status = _nullable(Text)
    is_paused = _nullable(Boolean)
    active = _nullable(Boolean)

    st_appointment_assignments_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "assignments"
    API_FIELDS = {
        "appointment_id": "appointmentId",
        "job_id": "jobId",
        "technician_id": "technicianId",
        "technician_name": "technicianName",
        "assigned_on": "assignedOn",
        "status": "status",
        "is_paused": "isPaused",
        "active": "active",
        **_COMMON_FIELDS,
    }


class StTechnician(CacheTable, tablename="st_technicians", schema=SCHEMA):
    """settings-v2 ``TenantSettings.V2.TechnicianResponse`` / export.

    ServiceTitan has no certifications field: skills (id + name) are what it
    records of a technician's qualifications.
    """

    user_id = _nullable(BigInt)
    name = _nullable(Text)
    first_name = _nullable(Text)
    last_name = _nullable(Text)
    email = _nullable(Text)
    phone_number = _nullable(Text)
    mobile_phone = _nullable(Text)
    login_name = _nullable(Text)
    team = _nullable(Text)
    business_unit_id = _nullable(BigInt)
    main_zone_id = _nullable(BigInt)
    zone_ids = _nullable(Array, base_column=BigInt())
    skills = _nullable(JSONB)
    status = _nullable(Text)
    active = _nullable(Boolean)

    st_technicians_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "technicians"
    API_FIELDS = {
        "user_id": "userId",
        "name": "name",
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "phone_number": "phoneNumber",
        "mobile_phone": "mobilePhone",
        "login_name": "loginName",
        "team": "team",
        "business_unit_id": "businessUnitId",
        "main_zone_id": "mainZoneId",
        "zone_ids": "zoneIds",
        "skills": "skills",
        "status": "status",
        "active": "active",
        **_COMMON_FIELDS,
    }


CACHE_TABLES: dict[str, type[CacheTable]] = {
    table._meta.tablename: table
    for table in (StLocation, StJob, StAppointment, StAppointmentAssignment, StTechnician)
}


class CachedTable(str, Enum):
    """The tables ``raw.sync_state`` keeps state for."""

    st_locations = "st_locations"
    st_jobs = "st_jobs"
    st_appointments = "st_appointments"
    st_appointment_assignments = "st_appointment_assignments"
    st_technicians = "st_technicians"


class SyncState(Guarded, Table, tablename="sync_state", schema=SCHEMA):
    """Per tenant and cached table: when it was last synced, how many records
    the last run synced, and the last error (cleared by a successful run)."""

    id = UUID(primary_key=True)
    tenant_id = _tenant_id()
    table_name = Varchar(length=63, null=False, default=None, choices=CachedTable)
    last_full_sync = _nullable(Timestamptz)
    last_incremental_sync = _nullable(Timestamptz)
    records_synced = BigInt(null=False, default=0)
    last_error = _nullable(Text)
    created_at = Timestamptz(null=False, default=TimestamptzNow())
    updated_at = Timestamptz(null=False, default=TimestamptzNow())

    sync_state_tenant_id_table_name_key = Unique(["tenant_id", "table_name"])
    sync_state_table_name_check = values_check("table_name", CachedTable)
    sync_state_records_synced_not_negative = Check("records_synced >= 0")

    @classmethod
    async def record_success(
        cls, tenant_id: int, table_name: str, full: bool, synced_as_of: datetime, records: int
    ) -> None:
        """A run finished: ``synced_as_of`` (when it started, so an incremental
        run from there misses nothing) becomes the last full or incremental
        sync, and the last error is cleared."""
        column = "last_full_sync" if full else "last_incremental_sync"
        await cls.raw(
            f"""
            INSERT INTO {SCHEMA}.sync_state AS state
                (tenant_id, table_name, {column}, records_synced, last_error)
            VALUES ({{}}, {{}}, {{}}, {{}}, NULL)
            ON CONFLICT (tenant_id, table_name) DO UPDATE SET
                {column} = excluded.{column},
                records_synced = excluded.records_synced,
                last_error = NULL
            """,
            tenant_id,
            cls._table_name(table_name),
            synced_as_of,
            records,
        )

    @classmethod
    async def record_failure(cls, tenant_id: int, table_name: str, error: str) -> None:
        """A run failed: only ``last_error`` changes."""
        await cls.raw(
            f"""
            INSERT INTO {SCHEMA}.sync_state AS state (tenant_id, table_name, last_error)
            VALUES ({{}}, {{}}, {{}})
            ON CONFLICT (tenant_id, table_name) DO UPDATE SET last_error = excluded.last_error
            """,
            tenant_id,
            cls._table_name(table_name),
            error,
        )

    @classmethod
    def _table_name(cls, table_name: str) -> str:
        return coerce(f"{SCHEMA}.sync_state", "table_name", table_name, CachedTable).value
