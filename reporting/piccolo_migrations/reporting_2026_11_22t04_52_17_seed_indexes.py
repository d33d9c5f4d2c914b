"""The eight indexes seed 003 names (Piccolo cannot name an index).

Nothing else indexes these columns alone: the table classes leave
``index=True`` off them, so no index is duplicated.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T04:52:17:272615"
VERSION = "1.38.0"
DESCRIPTION = "seed_indexes"

SEED_INDEXES = {
    "memberships_user_id_idx": "memberships (user_id)",
    "memberships_tenant_id_idx": "memberships (tenant_id)",
    "sessions_user_id_idx": "sessions (user_id)",
    "report_weeks_tenant_id_idx": "report_weeks (tenant_id)",
    "report_weeks_week_ending_date_idx": "report_weeks (week_ending_date)",
    "sync_runs_tenant_id_idx": "sync_runs (tenant_id)",
    "ct_raw_snapshots_tenant_id_idx": "ct_raw_snapshots (tenant_id)",
    "ct_raw_snapshots_endpoint_idx": "ct_raw_snapshots (endpoint)",
}

INDEXES = SqlStep(
    forwards="\n".join(
        f"CREATE INDEX {name} ON public.{target};" for name, target in SEED_INDEXES.items()
    ),
    backwards="\n".join(f"DROP INDEX public.{name};" for name in SEED_INDEXES),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reporting", description=DESCRIPTION)
    add_sql_steps(manager, INDEXES)
    return manager
