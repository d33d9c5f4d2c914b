"""What seed 000 needs beyond Piccolo's table DDL.

- the seven indexes under the seed's names (Piccolo cannot name an index);
- no column default where the seed has none (Piccolo writes DEFAULT NULL);
- updated_at kept by the shared trigger, in UTC (TIMESTAMP columns);
- processing_time_seconds computed from started_at / completed_at by a
  trigger, so no writer can type in a wrong duration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps
from platform_db.migrations.updated_at import trigger_step

ID = "2026-11-22T04:42:40:285794"
VERSION = "1.38.0"
DESCRIPTION = "seed_indexes_and_triggers"

SEED_INDEXES = {
    "idx_servicetitan_credentials_company": "servicetitan_credentials (company_id)",
    "idx_servicetitan_credentials_status": "servicetitan_credentials (connection_status)",
    "idx_servicetitan_credentials_expires": "servicetitan_credentials (token_expires_at)",
    "idx_servicetitan_sync_logs_credential": "servicetitan_sync_logs (servicetitan_credential_id)",
    "idx_servicetitan_sync_logs_status": "servicetitan_sync_logs (status)",
    "idx_servicetitan_sync_logs_started": "servicetitan_sync_logs (started_at)",
    "idx_servicetitan_sync_logs_type": "servicetitan_sync_logs (sync_type, data_type)",
}

NO_DEFAULT_COLUMNS = {
    "servicetitan_credentials": ["environment"],
    "servicetitan_sync_logs": ["sync_type", "data_type", "status"],
}

INDEXES = SqlStep(
    forwards="\n".join(
        f"CREATE INDEX {name} ON public.{target};" for name, target in SEED_INDEXES.items()
    ),
    backwards="\n".join(f"DROP INDEX public.{name};" for name in SEED_INDEXES),
)

DROP_NULL_DEFAULTS = SqlStep(
    forwards="\n".join(
        f"ALTER TABLE public.{table} ALTER COLUMN {column} DROP DEFAULT;"
        for table, columns in NO_DEFAULT_COLUMNS.items()
        for column in columns
    ),
    backwards="\n".join(
        f"ALTER TABLE public.{table} ALTER COLUMN {column} SET DEFAULT NULL;"
        for table, columns in NO_DEFAULT_COLUMNS.items()
        for column in columns
    ),
)

PROCESSING_TIME = SqlStep(
    forwards="""
CREATE OR REPLACE FUNCTION public.servicetitan_sync_logs_set_processing_time()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    NEW.processing_time_seconds := CASE
        WHEN NEW.completed_at IS NULL THEN NULL
        ELSE floor(extract(epoch FROM NEW.completed_at - NEW.started_at))::integer
    END;
    RETURN NEW;
END;
$$;

CREATE TRIGGER servicetitan_sync_logs_processing_time
    BEFORE INSERT OR UPDATE ON public.servicetitan_sync_logs
    FOR EACH ROW
    EXECUTE FUNCTION public.servicetitan_sync_logs_set_processing_time();
""",
    backwards="""
DROP TRIGGER servicetitan_sync_logs_processing_time ON public.servicetitan_sync_logs;
DROP FUNCTION public.servicetitan_sync_logs_set_processing_time();
""",
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )
    add_sql_steps(
        manager,
        INDEXES,
        DROP_NULL_DEFAULTS,
        trigger_step("servicetitan_credentials", naive_utc=True),
        PROCESSING_TIME,
    )
    return manager
