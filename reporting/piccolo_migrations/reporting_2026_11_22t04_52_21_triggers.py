"""updated_at kept by the shared trigger on every table that has it, and
audit_log made append-only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps
from platform_db.migrations.updated_at import trigger_step

ID = "2026-11-22T04:52:21:124154"
VERSION = "1.38.0"
DESCRIPTION = "triggers"

TABLES_WITH_UPDATED_AT = [
    "tenants",
    "tenant_branding",
    "users",
    "memberships",
    "sessions",
    "report_weeks",
    "report_week_manual",
    "lead_metrics",
    "pipeline_stage_counts",
    "hot_list_items",
    "report_exports",
    "tenant_field_mappings",
]

# An audit trail that can be edited proves nothing: refuse every change,
# including the UPDATE an ON DELETE SET NULL would make (audit_log's foreign
# keys are RESTRICT for that reason).
AUDIT_LOG_APPEND_ONLY = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.audit_log_refuse_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a new entry instead of changing an old one.';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON public.audit_log
    FOR EACH ROW
    EXECUTE FUNCTION public.audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON public.audit_log
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.audit_log_refuse_change();
""",
    backwards="""
DROP TRIGGER audit_log_no_truncate ON public.audit_log;
DROP TRIGGER audit_log_append_only ON public.audit_log;
DROP FUNCTION public.audit_log_refuse_change();
""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reporting", description=DESCRIPTION)
    add_sql_steps(
        manager,
        *[trigger_step(table) for table in TABLES_WITH_UPDATED_AT],
        AUDIT_LOG_APPEND_ONLY,
    )
    return manager
