"""The raw cache's indexes and the sync_state ``updated_at`` trigger.

Raw SQL because Piccolo cannot name an index, build a composite, partial or
operator-class one, and silently skips dropping an index outside ``public``.

Every btree index leads with ``tenant_id``: every cache query is scoped to a
tenant. ``full_data`` gets a GIN index with ``jsonb_path_ops``: it answers
containment (``full_data @> '{"jobStatus": "Hold"}'``), the query a cache of
API records is asked, and is smaller and cheaper to maintain during bulk
loads than the default ``jsonb_ops`` (docs/performance.md has the numbers).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps
from platform_db.migrations.updated_at import trigger_step

ID = "2026-11-22T04:52:57:040980"
VERSION = "1.38.0"
DESCRIPTION = "raw_cache_indexes"

CACHE_TABLES = (
    "st_locations",
    "st_jobs",
    "st_appointments",
    "st_appointment_assignments",
    "st_technicians",
)

INDEXES = {
    **{f"{table}_tenant_modified_idx": f"{table} (tenant_id, modified_on)" for table in CACHE_TABLES},
    **{
        f"{table}_full_data_gin": f"{table} USING gin (full_data jsonb_path_ops)"
        for table in CACHE_TABLES
    },
    "st_locations_tenant_customer_idx": "st_locations (tenant_id, customer_id)",
    "st_locations_tenant_zone_active_idx": "st_locations (tenant_id, zone_id) WHERE active",
    "st_jobs_tenant_status_idx": "st_jobs (tenant_id, job_status)",
    "st_jobs_tenant_customer_idx": "st_jobs (tenant_id, customer_id)",
    "st_jobs_tenant_location_idx": "st_jobs (tenant_id, location_id)",
    # schedule queries: a tenant's appointments in a time range
    "st_appointments_tenant_start_idx": "st_appointments (tenant_id, start_time)",
    "st_appointments_tenant_job_idx": "st_appointments (tenant_id, job_id)",
    # an appointment's technicians, and a technician's appointments
    "st_appointment_assignments_tenant_appointment_idx": (
        "st_appointment_assignments (tenant_id, appointment_id)"
    ),
    "st_appointment_assignments_tenant_technician_idx": (
        "st_appointment_assignments (tenant_id, technician_id)"
    ),
    "st_technicians_tenant_name_active_idx": "st_technicians (tenant_id, name) WHERE active",
    "st_technicians_tenant_business_unit_active_idx": (
        "st_technicians (tenant_id, business_unit_id) WHERE active"
    ),
    "st_technicians_tenant_team_active_idx": "st_technicians (tenant_id, team) WHERE active",
    "st_technicians_zone_ids_gin": "st_technicians USING gin (zone_ids)",
}

RAW_INDEXES = SqlStep(
    forwards="\n".join(f"CREATE INDEX {name} ON raw.{target};" for name, target in INDEXES.items()),
    backwards="\n".join(f"DROP INDEX raw.{name};" for name in INDEXES),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )
    add_sql_steps(manager, RAW_INDEXES, trigger_step("sync_state", schema="raw"))
    return manager
