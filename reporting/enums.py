"""The seed's five enums, and the two this app adds for report exports.

PostgreSQL enforces each through a CHECK built from these values
(``platform_db.values.choices.values_check``), not through a native enum type:
Piccolo cannot create native enum types, and ``business`` owns a table named
``sync_status`` in ``public``, whose row type a native ``sync_status`` enum
would collide with.
"""

from enum import Enum


class TenantStatus(str, Enum):
    active = "active"
    # Paused clients keep their history but get no new report weeks synced.
    paused = "paused"
    # How a tenant is retired: its audit history forbids deleting it.
    archived = "archived"


class UserStatus(str, Enum):
    invited = "invited"
    active = "active"
    disabled = "disabled"


class MembershipRole(str, Enum):
    # Agency staff see every tenant: their membership has no tenant.
    agency_admin = "agency_admin"
    tenant_admin = "tenant_admin"
    tenant_viewer = "tenant_viewer"


class ReportWeekStatus(str, Enum):
    draft = "draft"
    in_review = "in_review"
    published = "published"


class SyncStatus(str, Enum):
    running = "running"
    completed = "completed"
    failed = "failed"


class ExportFormat(str, Enum):
    pdf = "pdf"
    csv = "csv"
    xlsx = "xlsx"


class ExportStatus(str, Enum):
    queued = "queued"
    rendering = "rendering"
    ready = "ready"
    failed = "failed"
