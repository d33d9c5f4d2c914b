"""Indexes the product needs beyond the seed's, which a table class cannot
declare: on an expression, with NULLS NOT DISTINCT, partial, or descending."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T04:52:19:265406"
VERSION = "1.38.0"
DESCRIPTION = "unique_and_lookup_indexes"

# name: (definition, why)
INDEXES = {
    # A@x.com and a@x.com are one user; the typed case is kept for display.
    # An expression index rather than citext: no extension to install, and
    # User.by_email queries lower(email), which this index serves.
    "users_email_lower_key": "UNIQUE INDEX users_email_lower_key ON public.users (lower(email))",
    # One membership per user and tenant; NULLS NOT DISTINCT (PostgreSQL 15+)
    # so that a user cannot be made agency admin (tenant NULL) twice either.
    "memberships_user_id_tenant_id_key": (
        "UNIQUE INDEX memberships_user_id_tenant_id_key"
        " ON public.memberships (user_id, tenant_id) NULLS NOT DISTINCT"
    ),
    # Two runs pulling the same tenant at once would write twice.
    "sync_runs_one_running_per_tenant": (
        "UNIQUE INDEX sync_runs_one_running_per_tenant"
        " ON public.sync_runs (tenant_id) WHERE status = 'running'"
    ),
    # A tenant's audit trail, newest first.
    "audit_log_tenant_id_created_at_idx": (
        "INDEX audit_log_tenant_id_created_at_idx ON public.audit_log (tenant_id, created_at DESC)"
    ),
    # The history of one entity.
    "audit_log_entity_idx": (
        "INDEX audit_log_entity_idx ON public.audit_log (entity_type, entity_id, created_at DESC)"
    ),
}

CREATE = SqlStep(
    forwards="\n".join(f"CREATE {definition};" for definition in INDEXES.values()),
    backwards="\n".join(f"DROP INDEX public.{name};" for name in INDEXES),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reporting", description=DESCRIPTION)
    add_sql_steps(manager, CREATE)
    return manager
