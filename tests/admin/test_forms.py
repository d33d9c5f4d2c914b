"""The maintenance forms run their database function and report what it did;
a function that is not installed yet is said to be so."""

import pytest

from admin.forms import MAINTENANCE_ACTIONS, MAINTENANCE_FORMS, FunctionNotInstalled, run_function
from tests.admin.support import csrf


async def _installed(conn, function: str) -> bool:
    return await conn.fetchval("SELECT to_regproc($1) IS NOT NULL", function)


@pytest.mark.parametrize("action", MAINTENANCE_ACTIONS, ids=lambda a: a.function)
async def test_each_form_is_listed_and_answers(client, conn, action):
    form, function = action.form(), action.function
    listed = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]["Maintenance"]
    assert form.slug in [f["slug"] for f in listed]
    response = await client.post(f"/admin/api/forms/{form.slug}/", json={}, headers=csrf(client))
    if await _installed(conn, function):
        assert response.status_code == 200, response.text
        assert f"{function}() ran" in response.json()["custom_form_success"]
    else:
        assert response.status_code == 422, response.text
        assert response.json()["custom_form_error"].startswith(
            f"{function}() is not installed in this database"
        )


async def test_a_form_post_without_the_csrf_token_is_refused(client):
    response = await client.post(f"/admin/api/forms/{MAINTENANCE_FORMS[0].slug}/", json={})
    assert response.status_code == 403


@pytest.fixture
async def probe_functions(conn):
    await conn.execute(
        "CREATE FUNCTION admin_probe_counts() RETURNS TABLE (created integer, dropped integer)"
        " LANGUAGE sql AS $$ SELECT 2, 1 $$"
    )
    await conn.execute(
        "CREATE FUNCTION admin_probe_void() RETURNS void LANGUAGE sql AS $$ SELECT $$"
    )
    yield
    await conn.execute("DROP FUNCTION admin_probe_counts(); DROP FUNCTION admin_probe_void()")


async def test_the_report_says_what_the_function_returned(migrated, probe_functions):
    assert await run_function("admin_probe_counts") == (
        "admin_probe_counts() ran and returned 1 row(s): created: 2, dropped: 1"
    )
    assert await run_function("admin_probe_void") == "admin_probe_void() ran; it returned nothing."


async def test_a_missing_function_is_reported_not_raised_as_a_database_error(migrated):
    with pytest.raises(FunctionNotInstalled, match="admin_probe_missing\\(\\) is not installed"):
        await run_function("admin_probe_missing")
