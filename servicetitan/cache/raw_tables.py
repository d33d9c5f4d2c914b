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
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

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
# A location's address, and a customer's (its bill-to address): the same fields.
_ADDRESS_FIELDS = {
    part: f"address.{part}" for part in ("street", "unit", "city", "state", "zip", "country")
}


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
        **_ADDRESS_FIELDS,
        "latitude": "address.latitude",
        "longitude": "address.longitude",
        "zone_id": "zoneId",
        "tax_zone_id": "taxZoneId",
        "tax_exempt": "taxExempt",
        "merged_to_id": "mergedToId",
        "active": "active",
        **_COMMON_FIELDS,
    }


class StCustomer(CacheTable, tablename="st_customers", schema=SCHEMA):
    """crm-v2 ``Crm.V2.Customers.CustomerResponse`` / ``ExportCustomerResponse``:
    the customer a location, a job and an invoice point at. Its address is
    the bill-to address (a location has its own)."""

    name = _nullable(Text)
    # "Residential" or "Commercial"
    type = _nullable(Text)
    street = _nullable(Text)
    unit = _nullable(Text)
    city = _nullable(Text)
    state = _nullable(Text)
    zip = _nullable(Text)
    country = _nullable(Text)
    balance = _nullable(Numeric)
    tax_exempt = _nullable(Boolean)
    do_not_mail = _nullable(Boolean)
    do_not_service = _nullable(Boolean)
    national_account = _nullable(Boolean)
    merged_to_id = _nullable(BigInt)
    active = _nullable(Boolean)

    st_customers_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "customers"
    API_FIELDS = {
        "name": "name",
        "type": "type",
        **_ADDRESS_FIELDS,
        "balance": "balance",
        "tax_exempt": "taxExempt",
        "do_not_mail": "doNotMail",
        "do_not_service": "doNotService",
        "national_account": "nationalAccount",
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


class StAppointmentAssignment(CacheTable, tablename="st_appointment_assignments", schema=SCHEMA):
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


class StInvoice(CacheTable, tablename="st_invoices", schema=SCHEMA):
    """accounting-v2 ``Accounting.V2.InvoiceResponse`` / ``ExportInvoiceResponse``.

    The invoice names its customer, location, job and business unit as
    nested objects (``{"id", "name"}``; the job ``{"id", "number"}``): their
    ids are promoted, so a customer's invoices and a job's invoice are found
    by index. Money comes as decimal strings ("125.50"), kept exact in
    ``numeric`` columns.
    """

    reference_number = _nullable(Text)
    invoice_date = _nullable(Timestamptz)
    due_date = _nullable(Timestamptz)
    paid_on = _nullable(Timestamptz)
    customer_id = _nullable(BigInt)
    location_id = _nullable(BigInt)
    job_id = _nullable(BigInt)
    job_number = _nullable(Text)
    project_id = _nullable(BigInt)
    business_unit_id = _nullable(BigInt)
    adjustment_to_id = _nullable(BigInt)
    sub_total = _nullable(Numeric)
    sales_tax = _nullable(Numeric)
    total = _nullable(Numeric)
    balance = _nullable(Numeric)
    sync_status = _nullable(Text)
    sent_status = _nullable(Text)
    review_status = _nullable(Text)
    active = _nullable(Boolean)

    st_invoices_tenant_id_id_key = Unique(["tenant_id", "id"])

    DATA_TYPE = "invoices"
    API_FIELDS = {
        "reference_number": "referenceNumber",
        "invoice_date": "invoiceDate",
        "due_date": "dueDate",
        "paid_on": "paidOn",
        "customer_id": "customer.id",
        "location_id": "location.id",
        "job_id": "job.id",
        "job_number": "job.number",
        "project_id": "projectId",
        "business_unit_id": "businessUnit.id",
        "adjustment_to_id": "adjustmentToId",
        "sub_total": "subTotal",
        "sales_tax": "salesTax",
        "total": "total",
        "balance": "balance",
        "sync_status": "syncStatus",
        "sent_status": "sentStatus",
        "review_status": "reviewStatus",
        "active": "active",
        **_COMMON_FIELDS,
    }


CACHE_TABLES: dict[str, type[CacheTable]] = {
    table._meta.tablename: table
    for table in (
        StLocation,
        StCustomer,
        StJob,
        StAppointment,
        StAppointmentAssignment,
        StTechnician,
        StInvoice,
    )
}

# By the name of their entity, as the export feeds and the commands name
# them: "jobs" for raw.st_jobs, and so on.
BY_ENTITY: dict[str, type[CacheTable]] = {
    name.removeprefix("st_"): table for name, table in CACHE_TABLES.items()
}
