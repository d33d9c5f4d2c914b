"""A tenant with one row in every reporting table, inserted by raw SQL
without ids (so the database's UUID defaults are exercised), inside a
transaction that is rolled back after the test."""

import datetime
import uuid

import pytest

from tests.reporting.rows import insert, insert_tenant, insert_user


@pytest.fixture
async def graph(tx) -> dict[str, uuid.UUID]:
    """Table name → id of its row; every row hangs on one tenant and one user."""
    ids = {"tenants": await insert_tenant(tx), "users": await insert_user(tx)}
    tenant, user = ids["tenants"], ids["users"]
    ids["tenant_branding"] = await insert(
        tx, "tenant_branding", tenant_id=tenant, primary_color="#1a2b3c"
    )
    ids["memberships"] = await insert(
        tx, "memberships", user_id=user, tenant_id=tenant, role="tenant_admin"
    )
    ids["sessions"] = await insert(
        tx,
        "sessions",
        user_id=user,
        token_hash=uuid.uuid4().hex * 2,
        expires_at=await tx.fetchval("SELECT now() + interval '1 day'"),
        active_tenant_id=tenant,
    )
    ids["report_weeks"] = await insert(
        tx, "report_weeks", tenant_id=tenant, week_ending_date=datetime.date(2026, 11, 22)
    )
    week = ids["report_weeks"]
    ids["report_week_manual"] = await insert(
        tx,
        "report_week_manual",
        report_week_id=week,
        metric_key="offline_leads",
        note="3 walk-ins",
        entered_by_user_id=user,
    )
    ids["lead_metrics"] = await insert(
        tx, "lead_metrics", report_week_id=week, source="google_ads", leads=12, qualified_leads=7
    )
    ids["pipeline_stage_counts"] = await insert(
        tx, "pipeline_stage_counts", report_week_id=week, stage="quoted", count=4
    )
    ids["hot_list_items"] = await insert(
        tx, "hot_list_items", report_week_id=week, customer_name="J. Doe"
    )
    ids["report_exports"] = await insert(
        tx, "report_exports", report_week_id=week, format="pdf", requested_by_user_id=user
    )
    ids["sync_runs"] = await insert(tx, "sync_runs", tenant_id=tenant)
    ids["ct_raw_snapshots"] = await insert(
        tx,
        "ct_raw_snapshots",
        tenant_id=tenant,
        sync_run_id=ids["sync_runs"],
        endpoint="/calls",
        payload='{"calls": []}',
    )
    ids["tenant_field_mappings"] = await insert(
        tx,
        "tenant_field_mappings",
        tenant_id=tenant,
        target_field="lead_source",
        source_endpoint="/calls",
        source_field="custom_fields.source",
    )
    # Agency-wide and by the system: an entry naming the tenant or the user
    # would forbid deleting them (RESTRICT), which the cascade tests do.
    ids["audit_log"] = await insert(
        tx, "audit_log", action="tenant.created", entity_type="tenant", entity_id=tenant
    )
    return ids
