"""The maintenance forms run the business app's real functions through the
admin's HTTP API and report what they did: partitions created (with the rows
moved out of messages_default) and dropped, expired rows removed."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from admin.forms import MAINTENANCE_ACTIONS, MAINTENANCE_FORMS, FunctionNotInstalled, run_function
from business.maintenance import CLEANUPS, cleanup_expired_in
from business.tables import Company, Message
from platform_db.connection import fetch
from tests.admin.support import csrf, month_start

CLEANED = {  # table -> its row of a company, minus expires_at
    "dialog_contexts": "(company_id, phone, expires_at) VALUES ($1, $2, $3)",
    "appointments_cache": "(company_id, yclients_record_id, expires_at) VALUES ($1, $2, $3)",
    "whatsapp_auth_keys": "(company_id, key_type, key_id, value, expires_at)"
    " VALUES ($1, 'session', $2, '{}', $3)",
}


def _action(function: str):
    return next(a for a in MAINTENANCE_ACTIONS if a.function == function)


async def _submit(client, function: str) -> str:
    response = await client.post(
        f"/admin/api/forms/{_action(function).form().slug}/", json={}, headers=csrf(client)
    )
    assert response.status_code == 200, response.text
    return response.json()["custom_form_success"]


async def test_every_form_is_listed(client):
    listed = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]["Maintenance"]
    assert [f["slug"] for f in listed] == [form.slug for form in MAINTENANCE_FORMS]


@pytest.fixture
async def company(conn):
    company_id = await conn.fetchval(
        "INSERT INTO companies (name) VALUES ('Forms Salon') RETURNING id"
    )
    yield company_id
    await conn.execute("DELETE FROM companies WHERE id = $1", company_id)


async def _message_at(conn, company_id, created_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO messages (company_id, phone, direction, created_at)"
        " VALUES ($1, '79001234567', 'incoming', $2)",
        company_id,
        created_at,
    )


async def test_maintain_partitions_reports_what_it_created_moved_dropped_and_purged(
    client, conn, company
):
    last = month_start(5)
    last_name = f"messages_{last:%Y_%m}"
    # The last month ahead loses its partition: its message waits in DEFAULT.
    await conn.execute(f"DROP TABLE {last_name}")
    await _message_at(conn, company, last + timedelta(days=3))
    # A partition and a DEFAULT row from before the 6 months of retention.
    await conn.execute("SELECT create_messages_partition('2020-01-01')")
    await _message_at(conn, company, datetime(2020, 1, 9, tzinfo=timezone.utc))
    await _message_at(conn, company, datetime(2019, 6, 1, tzinfo=timezone.utc))

    done = await _submit(client, "maintain_messages_partitions")

    assert done.startswith("maintain_messages_partitions() ran: "), done
    assert f"created {last_name} (1 row(s) moved from messages_default)" in done
    assert "dropped messages_2020_01 (1 row(s), past retention)" in done
    assert "purged 1 row(s) past retention from messages_default" in done
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 0
    assert await conn.fetchval(f"SELECT count(*) FROM {last_name}") == 1
    assert await conn.fetchval("SELECT to_regclass('messages_2020_01')") is None
    again = await _submit(client, "maintain_messages_partitions")
    assert "nothing to do" in again


@pytest.mark.parametrize("table", CLEANED)
async def test_a_cleanup_reports_the_expired_rows_it_removed(client, conn, company, table):
    now = datetime.now(timezone.utc)
    expiries = [now - timedelta(hours=1), now - timedelta(days=2), now + timedelta(hours=1)]
    for i, expires_at in enumerate(expiries):
        # A phone for dialog_contexts, a record or key id for the others.
        await conn.execute(f"INSERT INTO {table} {CLEANED[table]}", company, f"7900123450{i}",
                           expires_at)
    expired = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE expires_at < now()")

    done = await _submit(client, CLEANUPS[table])

    removed = int(re.search(rf"removed (\d+) expired row\(s\) from {table}\.", done)[1])
    assert removed == expired >= 2
    left = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE company_id = $1", company)
    assert left == 1  # the one not expired


async def test_a_form_post_without_the_csrf_token_is_refused(client):
    response = await client.post(f"/admin/api/forms/{MAINTENANCE_FORMS[0].slug}/", json={})
    assert response.status_code == 403


async def test_a_function_not_installed_is_said_to_be_so(migrated):
    """A database where the business app is not migrated has none of the
    functions: the form says so instead of failing with a database error."""
    action = _action("maintain_messages_partitions")

    async def missing():
        return await fetch(Company, "SELECT * FROM public.admin_probe_missing()")

    with pytest.raises(FunctionNotInstalled, match=r"admin_probe_missing\(\) is not installed"):
        await run_function("admin_probe_missing", action.describe, missing)


async def test_the_forms_run_the_business_apps_own_calls():
    assert _action("maintain_messages_partitions").call == Message.maintain_partitions
    for table, function in CLEANUPS.items():
        call = _action(function).call
        assert (call.func, call.args) == (cleanup_expired_in, (table,))
