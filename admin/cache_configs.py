"""How the admin shows the ServiceTitan cache (the ``raw`` schema): per
table a few columns that say what a record is, the tenant first among the
filters, the most recently synced first. ``full_data`` (the whole API
record) stays out of the lists; the row's page shows it as formatted JSON.

The cache is written by sync runs only, so the admin is read-only on it.
"""

from __future__ import annotations

from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.validators import Validators

from admin.validators import refuse, refuse_secret_params
from servicetitan.raw_tables import (
    CacheTable,
    StAppointment,
    StAppointmentAssignment,
    StJob,
    StLocation,
    StTechnician,
    SyncState,
)

# Besides tenant_id, id, modified_on and synced_at: what names the record.
LIST_COLUMNS: dict[type[CacheTable], tuple[str, ...]] = {
    StLocation: ("name", "city", "state", "zip", "customer_id", "active"),
    StJob: ("job_number", "job_status", "customer_id", "location_id", "completed_on", "total"),
    StAppointment: ("appointment_number", "job_id", "start_time", "end_time", "status"),
    StAppointmentAssignment: (
        "appointment_id", "technician_id", "technician_name", "assigned_on", "status",
    ),
    StTechnician: ("name", "email", "team", "status", "active"),
}

READ_ONLY = "the raw cache is written by sync runs only; the admin shows it"


def _read_only() -> Validators:
    refused = [refuse(READ_ONLY)]
    return Validators(
        every=[refuse_secret_params],
        post_single=refused,
        put_single=refused,
        patch_single=refused,
        delete_single=refused,
        delete_all=refused,
    )


def _columns(table: type[Table], names) -> list:
    return [table._meta.get_column_by_name(name) for name in names]


def cache_config(table: type[CacheTable], menu_group: str) -> TableConfig:
    listed = ("tenant_id", "id", *LIST_COLUMNS[table], "modified_on", "synced_at")
    return TableConfig(
        table_class=table,
        visible_columns=_columns(table, listed),
        # ServiceTitan's id opens the record; row_id is only a surrogate.
        link_column=table.id,
        visible_filters=_columns(table, listed),
        order_by=[
            OrderBy(column=table.synced_at, ascending=False),
            OrderBy(column=table.modified_on, ascending=False),
        ],
        validators=_read_only(),
        menu_group=menu_group,
    )


def sync_state_config(menu_group: str) -> TableConfig:
    s = SyncState
    listed = [
        s.tenant_id,
        s.table_name,
        s.last_full_sync,
        s.last_incremental_sync,
        s.records_synced,
        s.last_error,
        s.updated_at,
    ]
    return TableConfig(
        table_class=s,
        visible_columns=listed,
        link_column=s.table_name,
        visible_filters=[s.tenant_id, s.table_name, s.last_full_sync, s.last_incremental_sync],
        order_by=[OrderBy(column=s.updated_at, ascending=False)],
        validators=_read_only(),
        menu_group=menu_group,
    )


CACHE_CONFIGS = {
    **{table: (lambda group, table=table: cache_config(table, group)) for table in LIST_COLUMNS},
    SyncState: sync_state_config,
}
