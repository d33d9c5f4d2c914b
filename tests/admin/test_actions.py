"""The few actions of the admin's own pages, done as an operator does them
(submitting the form the page shows, with its CSRF token), and what the
database holds after; and that a page shows only the actions that succeed
there: none on a finished sync log, on a read-only table or on a list."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from admin.read_routing import WROTE_AT_COOKIE
from tests.admin.support import form_to, forms_of, submit


@pytest.fixture
async def credential(migrated):
    """A credential of a company of its own, with a token pair; deleted
    with its company after the test, its sync logs with it."""
    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential

    company = Company(name=f"Actions Salon {uuid.uuid4().hex[:6]}")
    await company.save()
    credential = await ServiceTitanCredential.register(
        company.id, "integration", f"client-{uuid.uuid4().hex[:8]}", "cs-actions"
    )
    await credential.record_token_refresh(
        "at-actions", "rt-actions", datetime.now(timezone.utc) + timedelta(hours=1)
    )
    yield credential
    await Company.delete().where(Company.id == company.id)


async def _stored(table, row_id, *columns):
    return (
        await table.select(*columns, exclude_secrets=False)
        .where(table._meta.primary_key == row_id)
        .first()
    )


async def test_set_the_connection_status_to_each_status_offered(client, credential):
    from servicetitan.tables import ServiceTitanCredential as C

    secrets_before = await _stored(C, credential.id, *C._secret_columns())
    current = (await _stored(C, credential.id, C.connection_status))["connection_status"]
    page = await client.get(f"/inspect/credentials/{credential.id}/")
    tested, form = (form_to(page.text, e) for e in ("/test-connection/", "/status/"))
    assert tested.buttons == ["Test connection"]  # tests/admin/test_test_connection.py
    assert form.action == f"/inspect/credentials/{credential.id}/status/"
    assert form.buttons == ["Set the connection status"]
    assert form.options["connection_status"] == ["active", "inactive", "error"]
    assert form.fields["connection_status"] == current  # selected
    for status in ("inactive", "error", "active", "active"):
        done = await submit(client, form, connection_status=status)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/inspect/credentials/{credential.id}/?done=status"
        assert WROTE_AT_COOKIE not in done.headers.get("set-cookie", "")  # no replica here
        shown = await client.get(done.headers["location"])
        assert f"connection_status is now {status}" in shown.text
        assert form_to(shown.text, "/status/").fields["connection_status"] == status
        assert (await _stored(C, credential.id, C.connection_status)) == {
            "connection_status": status
        }
    # The one thing the form changes: the secrets are as they were.
    assert await _stored(C, credential.id, *C._secret_columns()) == secrets_before


async def test_a_status_not_offered_is_refused_and_changes_nothing(client, credential):
    from servicetitan.tables import ServiceTitanCredential as C

    before = await _stored(C, credential.id, *C._meta.columns)
    form = form_to((await client.get(f"/inspect/credentials/{credential.id}/")).text, "/status/")
    refused = await submit(client, form, connection_status="paused")
    assert refused.status_code == 400
    assert "connection_status" in refused.text and "paused" in refused.text
    assert await _stored(C, credential.id, *C._meta.columns) == before


async def _stuck_log(credential, minutes: int):
    """A running log as if started ``minutes`` ago (tests.support.history)."""
    from platform_db.database.connection import connection
    from servicetitan.tables import ServiceTitanSyncLog as L
    from tests.support.history import clock_guard_off

    log = await L.start(credential.id, "manual", "jobs")
    async with connection(L) as conn, clock_guard_off(conn):
        await conn.execute(
            "UPDATE servicetitan_sync_logs SET started_at = started_at - make_interval(mins => $2)"
            " WHERE id = $1",
            log.id,
            minutes,
        )
    return log


async def test_a_sync_running_for_minutes_cannot_be_marked_as_failed(client, credential):
    """Issue 24: "Mark as failed" was offered on a log started 5 minutes ago,
    whose real run then failed to close it."""
    from servicetitan.tables import ServiceTitanSyncLog as L

    log = await _stuck_log(credential, 5)
    page = (await client.get(f"/inspect/sync-logs/{log.id}/")).text
    assert forms_of(page) == []
    assert re.search(r"Running for 0:0[56]:\d\d\.\d+ so far: it can be marked as failed once", page)
    refused = await client.post(
        f"/inspect/sync-logs/{log.id}/fail/", data={"csrftoken": client.cookies["csrftoken"]}
    )
    assert refused.status_code == 409 and "once it has run 60 minutes" in refused.text
    assert (await _stored(L, log.id, L.status))["status"] == "running"
    await log.complete(processed=1, successful=1, failed=0)  # its run closes it, as it would


async def test_mark_a_running_sync_as_failed(client, admin_username, credential):
    from servicetitan.tables import ServiceTitanSyncLog as L

    log = await _stuck_log(credential, 61)
    page = await client.get(f"/inspect/sync-logs/{log.id}/")
    (form,) = forms_of(page.text)
    assert (form.action, form.buttons) == (f"/inspect/sync-logs/{log.id}/fail/", ["Mark as failed"])
    done = await submit(client, form)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/inspect/sync-logs/{log.id}/?done=failed"
    shown = (await client.get(done.headers["location"])).text
    assert "marked as failed" in shown and '<span class="badge failed">' in shown
    assert forms_of(shown) == []  # a failed log is history: nothing more to do
    stored = await _stored(L, log.id, L.status, L.error_message, L.started_at, L.completed_at)
    assert stored["status"] == "failed"
    assert stored["error_message"].startswith(f"marked as failed in the admin by {admin_username}")
    assert stored["completed_at"] >= stored["started_at"]
    # The same form sent again (a second tab): refused, the log as it was.
    again = await submit(client, form)
    assert again.status_code == 409 and "is not running" in again.text
    assert await _stored(L, log.id, L.status, L.error_message, L.started_at, L.completed_at) == (
        stored
    )


@pytest.mark.parametrize("outcome", ["completed", "failed"])
async def test_a_finished_sync_log_offers_no_action(client, credential, outcome):
    from servicetitan.tables import ServiceTitanSyncLog as L

    log = await L.start(credential.id, "scheduled", "invoices")
    if outcome == "completed":
        await log.complete(processed=3, successful=3, failed=0)
    else:
        await log.fail("ServiceTitan answered 500", processed=3, successful=1, failed=2)
    before = await _stored(L, log.id, *L._meta.columns)
    page = (await client.get(f"/inspect/sync-logs/{log.id}/")).text
    assert forms_of(page) == []
    assert "A finished sync log is history" in page
    refused = await client.post(
        f"/inspect/sync-logs/{log.id}/fail/", data={"csrftoken": client.cookies["csrftoken"]}
    )
    assert refused.status_code == 409 and "is not running" in refused.text
    assert await _stored(L, log.id, *L._meta.columns) == before


async def _whatsapp_key():
    from business.tables import Company, WhatsAppAuthKey

    company = await Company.create(name=f"Keys Salon {uuid.uuid4().hex[:6]}")
    key = await WhatsAppAuthKey.create(
        company=company.id,
        key_type="session",
        key_id=f"delete-me-{uuid.uuid4().hex[:8]}",
        value={"private": secrets.token_hex(8)},
    )
    return WhatsAppAuthKey, key.id


async def _reporting_session():
    from reporting.tables import Session, User

    user = await User.register(f"delete-me-{uuid.uuid4().hex[:8]}@example.com")
    session = await Session.create(
        user=user.id,
        token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        expires_at=datetime.now(timezone.utc) + timedelta(hours=1),
    )
    return Session, session.id


async def _admin_session():
    from piccolo.apps.user.tables import BaseUser

    from admin.tables import AdminSession

    user = await BaseUser.objects().first()
    return AdminSession, (await AdminSession.create_session(user_id=user.id)).id


@pytest.mark.parametrize(
    "table,make",
    [
        ("whatsapp_auth_keys", _whatsapp_key),
        ("sessions", _reporting_session),
        ("admin_sessions", _admin_session),  # superusers only
    ],
)
async def test_delete_a_row_of_a_table_with_a_secret(client, superuser, table, make):
    who = superuser if table == "admin_sessions" else client
    table_class, row_id = await make()
    page = await who.get(f"/inspect/tables/{table}/{row_id}/")
    (form,) = forms_of(page.text)
    assert (form.action, form.buttons) == (
        f"/inspect/tables/{table}/{row_id}/delete/",
        ["Delete this row"],
    )
    done = await submit(who, form)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/inspect/tables/{table}/"
    assert not await table_class.exists().where(table_class._meta.primary_key == row_id)
    assert f"/{row_id}/" not in (await who.get(done.headers["location"])).text
    gone = await submit(who, form)
    assert gone.status_code == 404 and "has no row" in gone.text


async def _row_of(table_name: str, tenant_id):
    from reporting.tables import AuditLog
    from servicetitan.cache.raw_tables import StJob
    from servicetitan.cache.sync_state import SyncState

    if table_name == "audit_log":
        return AuditLog, (await AuditLog.record("probe", "admin_test")).id
    table = {"st_jobs": StJob, "sync_state": SyncState}[table_name]
    primary_key = table._meta.primary_key
    row = await table.select(primary_key).where(table.tenant_id == tenant_id).first()
    return table, row[primary_key._meta.name]


@pytest.mark.parametrize("table_name", ["st_jobs", "sync_state", "audit_log"])
async def test_a_read_only_table_offers_no_action(client, synced_tenant, table_name):
    table, row_id = await _row_of(table_name, synced_tenant)
    page = (await client.get(f"/inspect/tables/{table_name}/{row_id}/")).text
    assert forms_of(page) == []
    refused = await client.post(
        f"/inspect/tables/{table_name}/{row_id}/delete/",
        data={"csrftoken": client.cookies["csrftoken"]},
    )
    assert refused.status_code == 405 and "read-only" in refused.text
    assert await table.exists().where(table._meta.primary_key == row_id)


async def test_lists_and_schema_health_offer_no_action(client, fleet, synced_tenant):
    for path in [
        "/inspect/credentials/",
        "/inspect/credentials/?failing=yes",
        "/inspect/credentials/?token=expired,expiring,none",
        "/inspect/sync-logs/",
        "/inspect/sync-logs/?status=failed",
        "/inspect/sync-logs/stuck/",
        "/inspect/tables/",
        f"/inspect/tables/st_jobs/?tenant_id={synced_tenant}",
        "/inspect/tables/whatsapp_auth_keys/",
        "/health/",
    ]:
        page = await client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert forms_of(page.text) == [], path
