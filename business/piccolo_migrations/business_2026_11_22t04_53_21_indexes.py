"""The business tables' composite and partial indexes, which Piccolo cannot
declare: company-scoped lists, date ranges and the status filters the bot
and the reminder worker run (seed 004: "60+ indexes")."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps

ID = "2026-11-22T04:53:21:794296"
VERSION = "1.38.0"
DESCRIPTION = "indexes"

INDEXES = {
    "idx_clients_company_last_visit": "clients (company_id, last_visit_at DESC)",
    "idx_clients_company_name": "clients (company_id, name)",
    "idx_services_company_category": "services (company_id, category)",
    "idx_services_company_active": "services (company_id) WHERE is_active",
    "idx_staff_company_active": "staff (company_id) WHERE is_active",
    "idx_staff_schedules_company_date": "staff_schedules (company_id, date)",
    "idx_bookings_company_appointment": "bookings (company_id, appointment_at)",
    "idx_bookings_company_status": "bookings (company_id, status)",
    "idx_bookings_staff_appointment": "bookings (staff_id, appointment_at)",
    "idx_bookings_client_appointment": "bookings (client_id, appointment_at DESC)",
    "idx_bookings_upcoming": (
        "bookings (appointment_at) WHERE status IN ('pending', 'confirmed')"
    ),
    "idx_appointments_cache_company_phone": "appointments_cache (company_id, phone)",
    "idx_appointments_cache_company_appointment": (
        "appointments_cache (company_id, appointment_at)"
    ),
    "idx_dialog_contexts_company_last_message": (
        "dialog_contexts (company_id, last_message_at DESC)"
    ),
    "idx_dialog_contexts_state": "dialog_contexts (state)",
    "idx_reminders_due": "reminders (scheduled_for) WHERE status = 'pending'",
    "idx_reminders_status": "reminders (status)",
    "idx_sync_status_status": "sync_status (status)",
    "idx_whatsapp_auth_keys_key_type": "whatsapp_auth_keys (key_type)",
}

INDEX_STEP = SqlStep(
    forwards="\n".join(
        f"CREATE INDEX {name} ON public.{target};" for name, target in INDEXES.items()
    ),
    backwards="\n".join(f"DROP INDEX public.{name};" for name in INDEXES),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="business", description=DESCRIPTION
    )
    add_sql_steps(manager, INDEX_STEP)
    return manager
