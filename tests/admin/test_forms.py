"""The maintenance forms run the business app's real functions through the
admin's HTTP API and report what they did: partitions created (with the rows
moved out of messages_default) and dropped, expired rows removed. Partition
maintenance shows its plan first, and carries out only the plan shown."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from admin.forms import (
    MAINTENANCE_ACTIONS,
    MAINTENANCE_FORMS,
    FunctionNotInstalled,
    partitions_form,
    run_function,
)
from business.maintenance import CLEANUPS, cleanup_expired_in
from business.tables import Company
from platform_db.database.connection import fetch
from tests.admin.support import csrf, month_start

CLEANED = {  # table -> its row of a company, minus expires_at
    "dialog_contexts": "(company_id, phone, expires_at) VALUES ($1, $2, $3)",
    "appointments_cache": "(company_id, yclients_record_id, expires_at) VALUES ($1, $2, $3)",
    "whatsapp_auth_keys": "(company_id, key_type, key_id, value, expires_at)"
    " VALUES ($1, 'session', $2, '{}', $3)",
}


def _action(function: str):
    return next(a for a in MAINTENANCE_ACTIONS if a.function == function)


async def _post(client, slug: str, data: dict):
    return await client.post(f"/admin/api/forms/{slug}/", json=data, headers=csrf(client))


async def _submit(client, function: str) -> str:
    response = await _post(client, _action(function).form().slug, {})
    assert response.status_code == 200, response.text
    return response.json()["custom_form_success"]


async def _maintain(client, **data) -> str:
    response = await _post(client, partitions_form().slug, data)
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


@pytest.fixture
async def old_and_waiting(conn, company):
    """The last month ahead loses its partition (its message waits in
    DEFAULT); a partition and a DEFAULT row from before the 6 months of
    retention. Put back afterwards."""
    last = month_start(5)
    last_name = f"messages_{last:%Y_%m}"
    await conn.execute(f"DROP TABLE {last_name}")
    await _message_at(conn, company, last + timedelta(days=3))
    await conn.execute("SELECT create_messages_partition('2020-01-01')")
    await _message_at(conn, company, datetime(2020, 1, 9, tzinfo=timezone.utc))
    await _message_at(conn, company, datetime(2019, 6, 1, tzinfo=timezone.utc))
    yield last_name
    await conn.execute("DROP TABLE IF EXISTS messages_2020_01")
    await conn.execute("DELETE FROM messages_default WHERE company_id = $1", company)
    await conn.execute("SELECT create_messages_partition($1)", last.date())


async def test_maintain_partitions_shows_the_plan_and_changes_nothing(client, conn, old_and_waiting):
    plan = await _maintain(client)

    code = re.match(r"Plan ([0-9a-f]{6}): ", plan)[1]
    assert f"create {old_and_waiting} ({month_start(5):%Y-%m}, moving 1 row(s) out of messages_default)" in plan
    assert "drop messages_2020_01 (2020-01, 1 row(s))" in plan
    assert f"purge 1 row(s) older than {month_start(-6):%Y-%m} from messages_default" in plan
    assert plan.endswith(f"Nothing was changed: to carry out this plan, submit again with plan code {code}.")
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2
    assert await conn.fetchval("SELECT to_regclass('messages_2020_01')") is not None


async def test_maintain_partitions_carries_out_the_plan_of_its_code(client, conn, old_and_waiting):
    code = re.match(r"Plan ([0-9a-f]{6}): ", await _maintain(client))[1]

    done = await _maintain(client, plan_code=code)

    assert done.startswith("messages partition maintenance ran: "), done
    assert f"created {old_and_waiting} (1 row(s) moved from messages_default)" in done
    assert "dropped messages_2020_01 (1 row(s), past retention)" in done
    assert "purged 1 row(s) past retention from messages_default" in done
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 0
    assert await conn.fetchval(f"SELECT count(*) FROM {old_and_waiting}") == 1
    assert await conn.fetchval("SELECT to_regclass('messages_2020_01')") is None
    assert "nothing to do" in await _maintain(client)


async def test_a_plan_code_that_is_not_the_current_plans_changes_nothing(
    client, conn, old_and_waiting
):
    shown = re.match(r"Plan ([0-9a-f]{6}): ", await _maintain(client))[1]
    # With another retention the plan is another one: the code shown does not carry it out.
    response = await _post(client, partitions_form().slug, {"retention_months": 200, "plan_code": shown})
    assert response.status_code == 422
    error = response.json()["custom_form_error"]
    assert error.startswith(f"Not done: the plan is no longer the one of code '{shown}'. Plan ")
    assert "drop messages_2020_01" not in error
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2


@pytest.mark.parametrize(
    "field, value", [("months_ahead", 61), ("retention_months", 1201), ("retention_months", -1)]
)
async def test_maintain_partitions_refuses_arguments_out_of_bounds(client, field, value):
    response = await _post(client, partitions_form().slug, {field: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == [field]


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
    action = _action("cleanup_expired_dialog_contexts")

    async def missing():
        return await fetch(Company, "SELECT * FROM public.admin_probe_missing()")

    with pytest.raises(FunctionNotInstalled, match=r"admin_probe_missing\(\) is not installed"):
        await run_function("admin_probe_missing", action.describe, missing)


async def test_the_forms_run_the_business_apps_own_calls():
    for table, function in CLEANUPS.items():
        call = _action(function).call
        assert (call.func, call.args) == (cleanup_expired_in, (table,))
