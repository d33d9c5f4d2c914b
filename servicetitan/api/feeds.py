"""ServiceTitan's export feeds the cache reads, named as the cache names
its entities (``raw.st_<entity>``), with their paths in the specs
(``/{module}/v2/tenant/{tenant}/export/...``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFeed:
    entity: str
    module: str  # crm, jpm, dispatch, settings, accounting
    export: str  # the path after /tenant/{tenant}/

    def path(self, tenant_id: int) -> str:
        return f"/{self.module}/v2/tenant/{tenant_id}/{self.export}"


FEEDS: dict[str, ExportFeed] = {
    feed.entity: feed
    for feed in (
        ExportFeed("locations", "crm", "export/locations"),
        ExportFeed("customers", "crm", "export/customers"),
        ExportFeed("jobs", "jpm", "export/jobs"),
        ExportFeed("appointments", "jpm", "export/appointments"),
        ExportFeed("appointment_assignments", "dispatch", "export/appointment-assignments"),
        ExportFeed("technicians", "settings", "export/technicians"),
        ExportFeed("invoices", "accounting", "export/invoices"),
    )
}

# The cheapest call that proves a token works for a tenant: one technician.
PROBE = ("settings", "technicians", {"pageSize": 1})
