import os

from piccolo.conf.apps import AppConfig

from .tables import (
    AuditLog,
    CtRawSnapshot,
    HotListItem,
    LeadMetric,
    Membership,
    PipelineStageCount,
    ReportExport,
    ReportWeek,
    ReportWeekManual,
    Session,
    SyncRun,
    Tenant,
    TenantBranding,
    TenantFieldMapping,
    User,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="reporting",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Tenant,
        TenantBranding,
        User,
        Membership,
        Session,
        ReportWeek,
        ReportWeekManual,
        LeadMetric,
        PipelineStageCount,
        HotListItem,
        ReportExport,
        SyncRun,
        CtRawSnapshot,
        TenantFieldMapping,
        AuditLog,
    ],
    # update_updated_at_column(), which the triggers call, is created by business.
    migration_dependencies=["business.piccolo_app"],
    commands=[],
)
