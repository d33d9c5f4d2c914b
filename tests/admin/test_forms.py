"""The maintenance forms run the business app's real functions through the
admin's HTTP API and report what they did: partitions created (with the rows
moved out of messages_default) and dropped, expired rows removed. Each form
shows what it would do first, and carries out only the plan shown, with the
code shown: in the same session, once, within ten minutes; dropping or
purging messages is for superusers."""

import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest

from admin.confirmations import Confirmations
from admin.forms import MAINTENANCE_ACTIONS, FunctionNotInstalled, call_installed
from business.maintenance import CLEANUPS, cleanup_expired_in
from business.tables import Company
from platform_db.database.connection import fetch
from tests.admin.support import asgi_client, create_admin_user, csrf, log_in, month_start

CLEANED = {  # table -> its row of a company, minus expires_at
    "dialog_contexts": "(company_id, phone, expires_at) VALUES ($1, $2, $3)",
    "appointments_cache": "(company_id, yclients_record_id, expires_at) VALUES ($1, $2, $3)",
    "whatsapp_auth_keys": "(company_id, key_type, key_id, value, expires_at)"
    " VALUES ($1, 'session', $2, '{}', $3)",
}
PARTITIONS = "maintain-messages-partitions"
CODE = re.compile(r"code ([0-9a-f]{12}-[0-9]+-[0-9a-f]{32})")


def _action(function: str):
    return next(a for a in MAINTENANCE_ACTIONS if a.function == function)


def _slug(function: str) -> str:
    return _action(function).name.replace(" ", "-").lower()


async def _post(client, slug: str, data: dict):
    return await client.post(f"/admin/api/forms/{slug}/", json=data, headers=csrf(client))


async def _done(client, slug: str, **data) -> str:
    response = await _post(client, slug, data)
    assert response.status_code == 200, response.text
    return response.json()["custom_form_success"]


async def _refused(client, slug: str, **data) -> str:
    response = await _post(client, slug, data)
    assert response.status_code == 422, response.text
    return response.json()["custom_form_error"]


def _code(text: str) -> str:
    return CODE.search(text)[1]


async def test_every_form_is_listed(client):
    listed = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]["Maintenance"]
    assert [f["slug"] for f in listed] == [PARTITIONS, *map(_slug, CLEANUPS.values())]


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


async def test_maintain_partitions_shows_the_plan_and_changes_nothing(
    client, conn, old_and_waiting
):
    plan = await _done(client, PARTITIONS)

    assert (
        f"create {old_and_waiting} ({month_start(5):%Y-%m}, moving 1 row(s) out of messages_default)"
        in plan
    )
    assert "drop messages_2020_01 (2020-01, 1 row(s))" in plan
    assert f"purge 1 row(s) older than {month_start(-6):%Y-%m} from messages_default" in plan
    assert f"submit again with the plan code {_code(plan)} (this session only" in plan
    assert "Only a superuser can carry out" in plan
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2
    assert await conn.fetchval("SELECT to_regclass('messages_2020_01')") is not None


async def test_a_superuser_carries_out_the_plan_of_its_code(superuser, conn, old_and_waiting):
    plan = await _done(superuser, PARTITIONS)
    assert "Only a superuser" not in plan

    done = await _done(superuser, PARTITIONS, plan_code=_code(plan))

    assert done.startswith("messages partition maintenance ran: "), done
    assert f"created {old_and_waiting} (1 row(s) moved from messages_default)" in done
    assert "dropped messages_2020_01 (1 row(s), past retention)" in done
    assert "purged 1 row(s) past retention from messages_default" in done
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 0
    assert await conn.fetchval(f"SELECT count(*) FROM {old_and_waiting}") == 1
    assert await conn.fetchval("SELECT to_regclass('messages_2020_01')") is None
    assert "nothing to do" in await _done(superuser, PARTITIONS)


async def test_an_admin_cannot_drop_messages(client, conn, old_and_waiting):
    plan = await _done(client, PARTITIONS)
    error = await _refused(client, PARTITIONS, plan_code=_code(plan))
    assert error.startswith("Not done: only a superuser can carry out a plan that drops")
    assert await conn.fetchval("SELECT to_regclass('messages_2020_01')") is not None


async def test_an_admin_creates_the_months_ahead(client, conn, company):
    last = month_start(5)
    await conn.execute(f"DROP TABLE messages_{last:%Y_%m}")
    try:
        plan = await _done(client, PARTITIONS, retention_months=1200)
        assert "Only a superuser" not in plan
        done = await _done(client, PARTITIONS, retention_months=1200, plan_code=_code(plan))
        assert f"created messages_{last:%Y_%m} (0 row(s)" in done
    finally:
        await conn.execute("SELECT create_messages_partition($1)", last.date())


async def test_the_old_six_character_code_is_refused(superuser, conn, old_and_waiting):
    """Issue 24: the code was sha256 of the plan's arguments and steps, which
    anyone could compute offline."""
    plan = await _done(superuser, PARTITIONS)
    steps = re.findall(r"(create|drop|purge) (messages_\w+)", plan)
    key = "5|6|False|" + "|".join(f"{action} {name}" for action, name in steps)
    guessed = hashlib.sha256(key.encode()).hexdigest()[:6]
    error = await _refused(superuser, PARTITIONS, plan_code=guessed)
    assert error.startswith("Not done: that is not a confirmation code")
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2


async def test_a_code_works_in_its_own_session_only(superuser, admin_app, conn, old_and_waiting):
    code = _code(await _done(superuser, PARTITIONS))
    async with asgi_client(admin_app) as other:
        assert (await log_in(other, await create_admin_user(superuser=True))).status_code == 200
        error = await _refused(other, PARTITIONS, plan_code=code)
    assert "does not confirm this plan" in error and "in another session" in error
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2


async def test_a_plan_code_that_is_not_the_current_plans_changes_nothing(
    superuser, conn, old_and_waiting
):
    shown = _code(await _done(superuser, PARTITIONS))
    # With another retention the plan is another one: the code shown does not carry it out.
    error = await _refused(superuser, PARTITIONS, retention_months=200, plan_code=shown)
    assert error.startswith("Not done: the code does not confirm this plan")
    assert "drop messages_2020_01" not in error and _code(error) != shown
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2


async def test_a_code_expires(migrated, old_and_waiting, conn):
    from admin.app import create_app
    from admin.throttle import AdminThrottle

    clock = type("Clock", (), {"now": 1e9, "__call__": lambda self: self.now})()
    app = create_app(
        throttle=AdminThrottle(address_limit=1000), confirmations=Confirmations(clock=clock)
    )
    async with asgi_client(app) as client:
        assert (await log_in(client, await create_admin_user(superuser=True))).status_code == 200
        code = _code(await _done(client, PARTITIONS))
        clock.now += 601
        error = await _refused(client, PARTITIONS, plan_code=code)
    assert error.startswith("Not done: the code expired (10 minutes)")
    assert await conn.fetchval("SELECT count(*) FROM messages_default") == 2


@pytest.mark.parametrize(
    "field, value", [("months_ahead", 61), ("retention_months", 1201), ("retention_months", -1)]
)
async def test_maintain_partitions_refuses_arguments_out_of_bounds(client, field, value):
    response = await _post(client, PARTITIONS, {field: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == [field]


async def _expired_rows(conn, company, table, count=2):
    now = datetime.now(timezone.utc)
    expiries = [now - timedelta(hours=n + 1) for n in range(count)] + [now + timedelta(hours=1)]
    for expires_at in expiries:
        # A phone for dialog_contexts, a record or key id for the others.
        await conn.execute(
            f"INSERT INTO {table} {CLEANED[table]}",
            company,
            f"790{datetime.now().strftime('%H%M%S%f')}",
            expires_at,
        )


@pytest.mark.parametrize("table", CLEANED)
async def test_a_cleanup_shows_what_it_would_remove_then_removes_it(client, conn, company, table):
    await _expired_rows(conn, company, table)
    expired = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE expires_at < now()")

    shown = await _done(client, _slug(CLEANUPS[table]))

    assert f"would remove {expired} expired row(s) from {table}. Nothing was changed" in shown
    assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE expires_at < now()") == expired
    done = await _done(client, _slug(CLEANUPS[table]), confirmation=_code(shown))
    assert f"removed {expired} expired row(s) from {table}." in done
    left = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE company_id = $1", company)
    assert left == 1  # the one not expired


async def test_a_cleanup_code_is_used_once_and_for_its_count_only(client, conn, company):
    table = "dialog_contexts"
    slug = _slug(CLEANUPS[table])
    await conn.execute(f"DELETE FROM {table} WHERE expires_at < now()")
    await _expired_rows(conn, company, table)
    code = _code(await _done(client, slug))
    await _expired_rows(conn, company, table, count=1)  # three now, not the two shown
    error = await _refused(client, slug, confirmation=code)
    assert error.startswith("Not done: the code does not confirm this plan")
    assert "would remove 3 expired row(s)" in error
    assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE expires_at < now()") == 3
    code = _code(error)
    assert "removed 3 expired row(s)" in await _done(client, slug, confirmation=code)
    await _expired_rows(conn, company, table, count=3)  # the same plan again
    assert "the code was used already" in await _refused(client, slug, confirmation=code)


async def test_a_form_post_without_the_csrf_token_is_refused(client):
    response = await client.post(f"/admin/api/forms/{PARTITIONS}/", json={})
    assert response.status_code == 403


async def test_a_function_not_installed_is_said_to_be_so(migrated):
    """A database where the business app is not migrated has none of the
    functions: the form says so instead of failing with a database error."""

    async def missing():
        return await fetch(Company, "SELECT * FROM public.admin_probe_missing()")

    with pytest.raises(FunctionNotInstalled, match=r"admin_probe_missing\(\) is not installed"):
        await call_installed("admin_probe_missing", missing)


async def test_the_forms_run_the_business_apps_own_calls():
    for table, function in CLEANUPS.items():
        call = _action(function).call
        assert (call.func, call.args) == (cleanup_expired_in, (table,))
