"""The tables the admin shows read-only, on pages of its own rather than
Piccolo Admin's (whose front end offers Add Row, Save and Delete on every
table, whatever the server then allows):

- tables written only by the project's code: the ServiceTitan cache and
  ``raw.sync_state`` (sync runs), ``audit_log`` (append-only);
- tables with a secret column (a WhatsApp key's value, a session token):
  Piccolo Admin's forms would send the secret back; their one action here
  is deleting a row.

The ServiceTitan credentials and sync logs have pages of their own
(``admin.pages``); piccolo_user stays in Piccolo Admin, which hashes its
password and writes it for superusers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from piccolo.columns import JSON, Column, Timestamp, Timestamptz
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from reporting.tables import AuditLog
from servicetitan.cache.raw_tables import (
    CacheTable,
    StAppointment,
    StAppointmentAssignment,
    StCustomer,
    StInvoice,
    StJob,
    StLocation,
    StTechnician,
)
from servicetitan.cache.sync_state import SyncState
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

NEWEST_FIRST = ("synced_at", "updated_at", "created_at", "started_at")

# Besides tenant_id, id, modified_on and synced_at: what names a cached record.
CACHE_COLUMNS: dict[type[CacheTable], tuple[str, ...]] = {
    StLocation: ("name", "city", "state", "zip", "customer_id", "active"),
    StJob: ("job_number", "job_status", "customer_id", "location_id", "completed_on", "total"),
    StAppointment: ("appointment_number", "job_id", "start_time", "end_time", "status"),
    StAppointmentAssignment: (
        "appointment_id",
        "technician_id",
        "technician_name",
        "assigned_on",
        "status",
    ),
    StTechnician: ("name", "email", "team", "status", "active"),
    StCustomer: ("name", "type", "city", "state", "balance", "active"),
    StInvoice: ("reference_number", "invoice_date", "customer_id", "job_id", "total", "balance"),
}

WRITTEN_BY_SYNCS = "Written by sync runs only: the admin shows it."


@dataclass(frozen=True)
class Inspected:
    table: type[Table]
    group: str
    note: str
    columns: tuple[str, ...] = ()  # database names; default: every non-JSON column
    filters: tuple[str, ...] = ()  # default: tenant_id when the table has one
    superusers_only: bool = False
    deletable: bool = False
    order: tuple[str, ...] = field(default=())  # "-name" descending; default newest first

    @property
    def name(self) -> str:
        return self.table._meta.tablename

    def column(self, name: str) -> Column:
        return next(c for c in self.table._meta.columns if c._meta.db_column_name == name)

    def list_columns(self) -> list[Column]:
        if self.columns:
            return [self.column(name) for name in self.columns]
        return [c for c in self.table._meta.columns if not isinstance(c, JSON) or c._meta.secret]

    def filter_columns(self) -> list[Column]:
        names = self.filters or tuple(
            c._meta.db_column_name for c in self.table._meta.columns if c._meta.name == "tenant_id"
        )
        return [self.column(name) for name in names]

    def order_by(self) -> list[tuple[Column, bool]]:
        if self.order:
            return [
                (self.column(name.lstrip("-")), not name.startswith("-")) for name in self.order
            ]
        names = {c._meta.db_column_name: c for c in self.table._meta.columns}
        newest = next((names[n] for n in NEWEST_FIRST if n in names), None)
        return [(newest, False)] if newest is not None else [(self.table._meta.primary_key, True)]

    def time_columns(self) -> set[str]:
        return {
            c._meta.db_column_name
            for c in self.table._meta.columns
            if isinstance(c, (Timestamp, Timestamptz))
        }


def _cache(table: type[CacheTable], group: str) -> Inspected:
    columns = ("tenant_id", "id", *CACHE_COLUMNS[table], "modified_on", "synced_at")
    return Inspected(
        table, group, WRITTEN_BY_SYNCS, columns=columns, order=("-synced_at", "-modified_on")
    )


SPECIFIC = {
    **{table: (lambda group, table=table: _cache(table, group)) for table in CACHE_COLUMNS},
    SyncState: lambda group: Inspected(
        SyncState,
        group,
        WRITTEN_BY_SYNCS,
        columns=(
            "tenant_id",
            "table_name",
            "last_full_sync",
            "last_incremental_sync",
            "records_synced",
            "last_error",
            "caught_up_at",
            "updated_at",
        ),
        filters=("tenant_id", "table_name"),
    ),
    AuditLog: lambda group: Inspected(
        AuditLog,
        group,
        "Append-only: a trigger refuses every change, and entries are recorded by the "
        "application, not typed in.",
        columns=("created_at", "tenant_id", "actor_user_id", "action", "entity_type", "entity_id"),
        filters=("tenant_id", "actor_user_id", "entity_type", "entity_id"),
    ),
}

# Shown on pages of their own (admin.pages).
OWN_PAGES = (ServiceTitanCredential, ServiceTitanSyncLog)


def inspected_tables(
    app_configs: list[AppConfig], auth_table: type[Table], session_table: type[Table]
) -> list[Inspected]:
    """Every table of the registry that the admin shows read-only."""
    found = []
    for app in app_configs:
        for table in app.table_classes:
            if table in OWN_PAGES:
                continue
            if table in SPECIFIC:
                found.append(SPECIFIC[table](app.app_name))
            elif table._meta.secret_columns and table is not auth_table:
                found.append(
                    Inspected(
                        table,
                        app.app_name,
                        "Holds a secret, shown only as set or not set.",
                        superusers_only=table is session_table,
                        deletable=True,
                    )
                )
    return found
