"""The admin's audit trail proves nothing if an admin can edit it: every
UPDATE, DELETE and TRUNCATE of ``admin_audit_log`` is refused, whoever sends
the SQL, and an entry's time is the database's clock (a time the inserting
transaction could have read from it, ``now()`` to ``clock_timestamp()``;
another, as Piccolo's ORM sends the host's time as the default, becomes the
database's), so no entry can be backdated.

The table is new and empty (previous migration): CREATE TRIGGER takes its
SHARE ROW EXCLUSIVE lock for an instant.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-12-07T02:56:57:236545"
VERSION = "1.38.0"
DESCRIPTION = "admin_audit_log_append_only"

APPEND_ONLY = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.admin_audit_log_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.at NOT BETWEEN transaction_timestamp() AND clock_timestamp() THEN
            NEW.at := clock_timestamp();
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'admin_audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'The admin records every action as a new entry.';
END;
$$;

CREATE TRIGGER admin_audit_log_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON public.admin_audit_log
    FOR EACH ROW
    EXECUTE FUNCTION public.admin_audit_log_append_only();

CREATE TRIGGER admin_audit_log_no_truncate
    BEFORE TRUNCATE ON public.admin_audit_log
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.admin_audit_log_append_only();
""",
    backwards="""
DROP TRIGGER admin_audit_log_no_truncate ON public.admin_audit_log;
DROP TRIGGER admin_audit_log_append_only ON public.admin_audit_log;
DROP FUNCTION public.admin_audit_log_append_only();
""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)
    add_sql_steps(manager, APPEND_ONLY)
    return manager
