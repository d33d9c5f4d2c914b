"""The multi-tenant weekly reporting schema (seed 003).

Fifteen tables in four groups: core (tenants, their branding, users, their
memberships and sessions), reporting (a report week per tenant and
week-ending date, and what a week holds), sync (runs and the raw API
responses they fetched) and config (field mappings, the audit log).

ON DELETE, where the seed is silent:
- CASCADE where a row belongs to its parent: everything of a tenant, a
  user's memberships and sessions, everything of a report week, and a
  membership or session whose tenant goes;
- SET NULL where a row only mentions someone: who entered a manual value
  or requested an export, which sync run fetched a snapshot, a session's
  active tenant;
- RESTRICT from ``audit_log``: history is never rewritten (a trigger also
  refuses UPDATE and DELETE on it, and SET NULL would be an UPDATE), so a
  tenant or user with audit entries is retired by its status, not deleted.

The seed's eight named indexes, the case-insensitive unique email, the
membership uniqueness (NULL tenant included), the ``updated_at`` triggers
and the append-only trigger are raw SQL in the later migrations: Piccolo
cannot name an index, index an expression, or declare a trigger.
"""

from __future__ import annotations

import datetime
import json

from asyncpg.exceptions import (
    CheckViolationError,
    ForeignKeyViolationError,
    UniqueViolationError,
)
from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.combination import WhereRaw
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from platform_db.database.replicas import read
from platform_db.secrets.secret_columns import SecretsLeftOut
from platform_db.values.choices import values_check
from platform_db.values.guarded import Guarded
from platform_db.values.rejections import DataRejected
from reporting.enums import (
    ExportFormat,
    ExportStatus,
    MembershipRole,
    ReportWeekStatus,
    SyncStatus,
    TenantStatus,
    UserStatus,
)
from reporting.week_report import WeekReport, read_week_report

MONEY = (14, 2)


class DuplicateEmail(DataRejected):
    """An email that another user already has, whatever its letter case."""

    def __init__(self, email: str):
        super().__init__(
            "users", "email", email,
            "already taken (emails are compared without regard to letter case)",
        )


class InvalidEmail(DataRejected):
    """Not of the form ``local@domain``."""

    def __init__(self, email: str):
        super().__init__("users", "email", email, "not an email address (local@domain)")


class UnknownTenant(DataRejected, LookupError):
    """A tenant id with no row in ``tenants`` (still a LookupError, as it was)."""

    def __init__(self, table: str, tenant_id):
        super().__init__(table, "tenant_id", tenant_id, "names no row in tenants")


# --- core -----------------------------------------------------------------


class Tenant(Guarded, Table, tablename="tenants"):
    """A client business whose weekly report the agency produces."""

    id = UUID(primary_key=True)
    name = Varchar(length=200, null=False, default=None)
    # Stable, URL-safe handle used in report links and file names.
    slug = Varchar(length=100, null=False, default=None, unique=True)
    status = Varchar(length=20, null=False, default=TenantStatus.active, choices=TenantStatus)
    # Week-ending dates and "this week" are the tenant's local calendar.
    timezone = Varchar(length=64, null=False, default="America/New_York")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    tenants_status_check = values_check("status", TenantStatus)
    tenants_name_not_blank = Check("btrim(name) <> ''")
    tenants_slug_format = Check("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'")


class TenantBranding(Guarded, Table, tablename="tenant_branding"):
    """How a tenant's reports and exports look; at most one row per tenant."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(
        Tenant, db_column_name="tenant_id", null=False, unique=True, on_delete=OnDelete.cascade
    )
    display_name = Varchar(length=200, null=True, default=None)
    logo_url = Varchar(length=2000, null=True, default=None)
    primary_color = Varchar(length=7, null=True, default=None)
    accent_color = Varchar(length=7, null=True, default=None)
    report_footer = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    tenant_branding_colors_are_hex = Check(
        "(primary_color IS NULL OR primary_color ~ '^#[0-9A-Fa-f]{6}$')"
        " AND (accent_color IS NULL OR accent_color ~ '^#[0-9A-Fa-f]{6}$')"
    )


class User(Guarded, Table, tablename="users"):
    """A person who signs in: agency staff or a tenant's own people.

    ``email`` keeps the case it was typed in; a unique index on
    ``lower(email)`` makes ``A@x.com`` and ``a@x.com`` the same user.
    """

    id = UUID(primary_key=True)
    email = Varchar(length=320, null=False, default=None)
    name = Varchar(length=200, null=True, default=None)
    status = Varchar(length=20, null=False, default=UserStatus.invited, choices=UserStatus)
    last_login_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    users_status_check = values_check("status", UserStatus)
    users_email_format = Check("email ~ '^[^@[:space:]]+@[^@[:space:]]+$'")

    @classmethod
    async def register(cls, email: str, name: str | None = None) -> User:
        """A new invited user; ``DuplicateEmail`` if the address is taken."""
        user = cls(email=email.strip(), name=name)
        try:
            await user.save()
        except UniqueViolationError as exc:
            if exc.constraint_name != "users_email_lower_key":
                raise
            raise DuplicateEmail(email) from None
        except CheckViolationError as exc:
            if exc.constraint_name != "users_email_format":
                raise
            raise InvalidEmail(email) from None
        return user

    @classmethod
    async def by_email(cls, email: str) -> User | None:
        """The user with this email in any letter case (uses the lower() index)."""
        return (
            await cls.objects().where(WhereRaw("lower(email) = lower({})", email.strip())).first()
        )


class Membership(Guarded, Table, tablename="memberships"):
    """A user's role at a tenant; agency admins have no tenant (NULL)."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, db_column_name="user_id", null=False, on_delete=OnDelete.cascade)
    tenant = ForeignKey(
        Tenant, db_column_name="tenant_id", null=True, default=None, on_delete=OnDelete.cascade
    )
    role = Varchar(length=20, null=False, default=None, choices=MembershipRole)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    memberships_role_check = values_check("role", MembershipRole)
    # An agency admin spans every tenant; every other role is of one tenant.
    memberships_tenant_matches_role = Check("(role = 'agency_admin') = (tenant_id IS NULL)")


class Session(SecretsLeftOut, Guarded, Table, tablename="sessions"):
    """A signed-in browser session (Better Auth's shape: token, expiry,
    IP address, user agent). Only a SHA-256 of the token is stored, and
    ``select()`` leaves it out unless asked for."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, db_column_name="user_id", null=False, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, null=False, default=None, unique=True, secret=True)
    expires_at = Timestamptz(null=False, default=None, index=True)
    # The tenant an agency admin is currently looking at.
    active_tenant = ForeignKey(
        Tenant,
        db_column_name="active_tenant_id",
        null=True,
        default=None,
        index=True,
        on_delete=OnDelete.set_null,
    )
    ip_address = Varchar(length=45, null=True, default=None)
    user_agent = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    sessions_token_hash_is_sha256 = Check("token_hash ~ '^[0-9a-f]{64}$'")


# --- reporting ------------------------------------------------------------


class ReportWeek(Guarded, Table, tablename="report_weeks"):
    """One tenant's report for the week ending on ``week_ending_date``."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False, on_delete=OnDelete.cascade)
    week_ending_date = Date(null=False, default=None)
    status = Varchar(
        length=20, null=False, default=ReportWeekStatus.draft, choices=ReportWeekStatus
    )
    published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    report_weeks_tenant_id_week_ending_date_key = Unique([tenant, week_ending_date])
    report_weeks_status_check = values_check("status", ReportWeekStatus)
    report_weeks_published_at_matches_status = Check(
        "(status = 'published') = (published_at IS NOT NULL)"
    )

    @classmethod
    async def open(cls, tenant_id, week_ending_date: datetime.date) -> ReportWeek:
        """The tenant's report week for that date, created as a draft if new.

        Idempotent and safe under concurrency: the unique key decides, and
        the row is read back in a second statement so that a week another
        transaction just committed is seen.
        """
        _check_week_ending_date(week_ending_date)
        try:
            await cls.insert(cls(tenant=tenant_id, week_ending_date=week_ending_date)).on_conflict(
                target=(cls.tenant, cls.week_ending_date), action="DO NOTHING"
            )
        except ForeignKeyViolationError:
            raise UnknownTenant(cls._meta.tablename, tenant_id) from None
        return await cls.objects().get(
            (cls.tenant == tenant_id) & (cls.week_ending_date == week_ending_date)
        )

    @classmethod
    async def report(
        cls, tenant_id, week_ending_date: datetime.date, *, stale_ok: bool = False
    ) -> WeekReport | None:
        """The week's report (``reporting.week_report``), or None if the
        tenant has no such week. ``stale_ok``: a read replica may answer
        (a published report, a dashboard); leave it False to see a change
        just made (an editor's own)."""
        _check_week_ending_date(week_ending_date)
        return await read(
            read_week_report, tenant_id, week_ending_date, engine=cls._meta.db, stale_ok=stale_ok
        )


def _check_week_ending_date(value) -> None:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(f"report_weeks.week_ending_date must be a date, not {value!r}")


class ReportWeekManual(Guarded, Table, tablename="report_week_manual"):
    """A value typed in by hand for one metric of a week (e.g. offline
    leads, ad spend not in any API), overriding or adding to the synced one."""

    id = UUID(primary_key=True)
    report_week = ForeignKey(
        ReportWeek, db_column_name="report_week_id", null=False, on_delete=OnDelete.cascade
    )
    metric_key = Varchar(length=100, null=False, default=None)
    value = Numeric(digits=MONEY, null=True, default=None)
    note = Text(null=True, default=None)
    entered_by = ForeignKey(
        User,
        db_column_name="entered_by_user_id",
        null=True,
        default=None,
        index=True,
        on_delete=OnDelete.set_null,
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    report_week_manual_report_week_id_metric_key_key = Unique([report_week, metric_key])
    report_week_manual_has_value_or_note = Check("value IS NOT NULL OR note IS NOT NULL")


class LeadMetric(Guarded, Table, tablename="lead_metrics"):
    """A week's leads from one source (e.g. google_ads, referral)."""

    id = UUID(primary_key=True)
    report_week = ForeignKey(
        ReportWeek, db_column_name="report_week_id", null=False, on_delete=OnDelete.cascade
    )
    source = Varchar(length=100, null=False, default=None)
    leads = Integer(null=False, default=0)
    qualified_leads = Integer(null=False, default=0)
    booked_jobs = Integer(null=False, default=0)
    spend = Numeric(digits=MONEY, null=True, default=None)
    revenue = Numeric(digits=MONEY, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    lead_metrics_report_week_id_source_key = Unique([report_week, source])
    lead_metrics_counts_add_up = Check(
        "leads >= 0 AND qualified_leads >= 0 AND booked_jobs >= 0" " AND qualified_leads <= leads"
    )
    lead_metrics_money_not_negative = Check(
        "(spend IS NULL OR spend >= 0) AND (revenue IS NULL OR revenue >= 0)"
    )


class PipelineStageCount(Guarded, Table, tablename="pipeline_stage_counts"):
    """How many opportunities (and their value) sat in one pipeline stage."""

    id = UUID(primary_key=True)
    report_week = ForeignKey(
        ReportWeek, db_column_name="report_week_id", null=False, on_delete=OnDelete.cascade
    )
    stage = Varchar(length=100, null=False, default=None)
    # Order of the stages in the report (new → quoted → won ...).
    position = SmallInt(null=False, default=0)
    count = Integer(null=False, default=0)
    total_value = Numeric(digits=MONEY, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    pipeline_stage_counts_report_week_id_stage_key = Unique([report_week, stage])
    pipeline_stage_counts_not_negative = Check(
        "position >= 0 AND count >= 0 AND (total_value IS NULL OR total_value >= 0)"
    )


class HotListItem(Guarded, Table, tablename="hot_list_items"):
    """A lead worth chasing this week, ranked in the report."""

    id = UUID(primary_key=True)
    report_week = ForeignKey(
        ReportWeek,
        db_column_name="report_week_id",
        null=False,
        index=True,
        on_delete=OnDelete.cascade,
    )
    rank = SmallInt(null=False, default=0)
    customer_name = Varchar(length=200, null=False, default=None)
    # The lead's id in the source system, to link back to it.
    external_id = Varchar(length=100, null=True, default=None)
    source = Varchar(length=100, null=True, default=None)
    stage = Varchar(length=100, null=True, default=None)
    estimated_value = Numeric(digits=MONEY, null=True, default=None)
    next_step = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    hot_list_items_values_not_negative = Check(
        "rank >= 0 AND (estimated_value IS NULL OR estimated_value >= 0)"
    )


class ReportExport(Guarded, Table, tablename="report_exports"):
    """A rendered file of a report week (PDF, CSV, XLSX) and its progress."""

    id = UUID(primary_key=True)
    report_week = ForeignKey(
        ReportWeek,
        db_column_name="report_week_id",
        null=False,
        index=True,
        on_delete=OnDelete.cascade,
    )
    format = Varchar(length=10, null=False, default=None, choices=ExportFormat)
    status = Varchar(length=20, null=False, default=ExportStatus.queued, choices=ExportStatus)
    # Storage key of the file (e.g. an object-store path), once rendered.
    file_path = Varchar(length=1000, null=True, default=None)
    file_size_bytes = BigInt(null=True, default=None)
    error_message = Text(null=True, default=None)
    requested_by = ForeignKey(
        User,
        db_column_name="requested_by_user_id",
        null=True,
        default=None,
        index=True,
        on_delete=OnDelete.set_null,
    )
    completed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    report_exports_format_check = values_check("format", ExportFormat)
    report_exports_status_check = values_check("status", ExportStatus)
    report_exports_ready_has_file = Check(
        "status <> 'ready' OR (file_path IS NOT NULL AND completed_at IS NOT NULL)"
    )
    report_exports_failed_has_error = Check("status <> 'failed' OR error_message IS NOT NULL")


# --- sync -----------------------------------------------------------------


class SyncRun(Guarded, Table, tablename="sync_runs"):
    """One pull of a tenant's data from the CT API."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False, on_delete=OnDelete.cascade)
    status = Varchar(length=20, null=False, default=SyncStatus.running, choices=SyncStatus)
    started_at = Timestamptz(null=False, default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    # Which days the run covered, so a re-sync of a past week is visible.
    window_start = Date(null=True, default=None)
    window_end = Date(null=True, default=None)
    records_fetched = Integer(null=False, default=0)
    records_written = Integer(null=False, default=0)
    error_message = Text(null=True, default=None)
    error_details = JSONB(null=True, default=None)

    sync_runs_status_check = values_check("status", SyncStatus)
    sync_runs_finished_matches_status = Check("(status = 'running') = (finished_at IS NULL)")
    sync_runs_finished_after_start = Check("finished_at IS NULL OR finished_at >= started_at")
    sync_runs_counts_not_negative = Check("records_fetched >= 0 AND records_written >= 0")
    sync_runs_window_ordered = Check(
        "window_start IS NULL OR window_end IS NULL OR window_start <= window_end"
    )


class CtRawSnapshot(Guarded, Table, tablename="ct_raw_snapshots"):
    """A CT API response as it came, per tenant and endpoint, so reports
    can be rebuilt and mappings changed without fetching again."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False, on_delete=OnDelete.cascade)
    sync_run = ForeignKey(
        SyncRun,
        db_column_name="sync_run_id",
        null=True,
        default=None,
        index=True,
        on_delete=OnDelete.set_null,
    )
    endpoint = Varchar(length=200, null=False, default=None)
    request_params = JSONB(null=False, default={})
    payload = JSONB(null=False, default=None)
    fetched_at = Timestamptz(null=False, default=TimestamptzNow())

    ct_raw_snapshots_request_params_is_object = Check("jsonb_typeof(request_params) = 'object'")


# --- config ---------------------------------------------------------------


class TenantFieldMapping(Guarded, Table, tablename="tenant_field_mappings"):
    """Which field of a tenant's CT data feeds a report field (tenants name
    their lead-source and stage fields differently)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False, on_delete=OnDelete.cascade)
    target_field = Varchar(length=100, null=False, default=None)
    source_endpoint = Varchar(length=200, null=False, default=None)
    source_field = Varchar(length=200, null=False, default=None)
    # Source value → report value, e.g. {"Google PPC": "google_ads"}.
    value_map = JSONB(null=False, default={})
    is_active = Boolean(null=False, default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    tenant_field_mappings_tenant_id_target_field_key = Unique([tenant, target_field])
    tenant_field_mappings_value_map_is_object = Check("jsonb_typeof(value_map) = 'object'")


class AuditLog(Guarded, Table, tablename="audit_log"):
    """Who did what to which entity, with the change as a JSON diff.

    Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE.
    """

    id = UUID(primary_key=True)
    # NULL for agency-wide actions.
    tenant = ForeignKey(
        Tenant, db_column_name="tenant_id", null=True, default=None, on_delete=OnDelete.restrict
    )
    # NULL for the system (a scheduled sync, a migration).
    actor = ForeignKey(
        User,
        db_column_name="actor_user_id",
        null=True,
        default=None,
        index=True,
        on_delete=OnDelete.restrict,
    )
    action = Varchar(length=100, null=False, default=None)
    entity_type = Varchar(length=100, null=False, default=None)
    entity_id = UUID(null=True, default=None)
    diff = JSONB(null=False, default={})
    created_at = Timestamptz(null=False, default=TimestamptzNow())

    audit_log_action_not_blank = Check("btrim(action) <> '' AND btrim(entity_type) <> ''")
    audit_log_diff_is_object = Check("jsonb_typeof(diff) = 'object'")

    @classmethod
    async def record(
        cls,
        action: str,
        entity_type: str,
        entity_id=None,
        *,
        tenant_id=None,
        actor_user_id=None,
        diff: dict | None = None,
    ) -> AuditLog:
        """Append an entry; ``diff`` is a JSON object such as
        ``{"status": ["draft", "published"]}``."""
        for column, value in (("action", action), ("entity_type", entity_type)):
            if not isinstance(value, str) or not value.strip():
                raise DataRejected(cls._meta.tablename, column, value, "must be a non-blank string")
        diff = {} if diff is None else diff
        if not isinstance(diff, dict):
            raise TypeError(f"audit_log.diff must be a dict (a JSON object), not {diff!r}")
        try:
            encoded = json.dumps(diff)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"audit_log.diff must be JSON-serializable: {exc}") from None
        entry = cls(
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            tenant=tenant_id,
            actor=actor_user_id,
            diff=encoded,
        )
        await entry.save()
        return entry
