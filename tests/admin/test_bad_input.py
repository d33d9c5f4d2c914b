"""Each malformed request a schemathesis run answered with a 500 is a 4xx
that says what was wrong, and changes nothing."""

import html

import pytest

from tests.admin.support import csrf

T = "/admin/api/tables"


@pytest.mark.parametrize(
    "path,status,says",
    [
        (f"{T}/companies/?__order=", 400, "__order"),
        (f"{T}/companies/?__order=nonexistent", 400, "No matching column found"),
        (f"{T}/clients/?__order=company.name", 400, "Max join depth exceeded"),
        (f"{T}/companies/ids/?limit=-5", 400, "limit must be between 0"),
        (f"{T}/companies/ids/?limit=99999999999999999999", 400, "limit must be between 0"),
        (f"{T}/companies/ids/?offset=-1", 400, "offset must be between 0"),
        (f"{T}/clients/count/?notes__operator=a&notes__operator=b", 400, "given more than once"),
        (f"{T}/clients/?__page_size=-5", 400, "__page_size must be between 0"),
        (f"{T}/clients/?__range_header=true&__range_header=true", 400, "given more than once"),
        (f"{T}/clients/?__page=99999999999999999999", 400, "__page must be between"),
        (f"{T}/companies/count/?settings=", 400, "settings is a JSON column"),
        (f"{T}/companies/?settings=x", 400, "settings is a JSON column"),
        (f"{T}/clients/?phone=%00", 400, "NUL character"),
        (f"{T}/clients/?visit_count=99999999999999999999", 400, "out of range for a 32-bit"),
        (f"{T}/companies/ids/?search=%00", 400, "NUL character"),
        (f"{T}/piccolo_user/99999999999999999999/", 400, "the row id must be between 1"),
        (f"{T}/clients/?last_visit_at=not-a-time", 422, "last_visit_at"),
    ],
)
async def test_a_bad_query_is_a_400_saying_why(superuser, path, status, says):
    response = await superuser.get(path)
    assert response.status_code == status, (response.status_code, response.text)
    assert says in response.text


def test_a_time_with_a_zone_is_utc_for_a_timestamp_column():
    """``?started_at=2000-01-01T00:00:00Z`` on a TIMESTAMP column was a 500
    (naive minus aware). The TIMESTAMP tables (seed 000's) are on the
    admin's own pages now; any other a filter or body meets is read as UTC."""
    from piccolo.columns import Timestamp

    from admin.crud import checked_value

    assert checked_value(Timestamp(), "started_at", "2000-01-01T02:00:00+02:00") == (
        "2000-01-01T00:00:00"
    )
    assert checked_value(Timestamp(), "started_at", "2000-01-01T00:00:00Z") == "2000-01-01T00:00:00"


@pytest.fixture
async def company_row(migrated):
    from business.tables import Company

    company = Company(name="Bad Input Salon")
    await company.save()
    yield company
    await Company.delete().where(Company.id == company.id)


@pytest.mark.parametrize(
    "method,body,says",
    [
        ("post", {"name": "x\u0000y"}, "NUL character"),
        ("patch", {"name": "x\u0000y"}, "NUL character"),
        ("post", {"name": "ok", "no_such_column": 1}, "no column 'no_such_column'"),
        ("patch", {"_meta": 1}, "no column '_meta'"),
        ("put", {"save": 1}, "no column 'save'"),
        ("patch", ["name"], "valid dictionary"),
    ],
)
async def test_a_bad_body_is_a_4xx_saying_why_and_changes_nothing(
    superuser, company_row, method, body, says
):
    from business.tables import Company

    url = f"{T}/companies/" if method == "post" else f"{T}/companies/{company_row.id}/"
    before = await Company.count()
    response = await getattr(superuser, method)(url, json=body, headers=csrf(superuser))
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert says in response.text
    assert await Company.count() == before
    assert (await Company.objects().get(Company.id == company_row.id)).name == "Bad Input Salon"


async def test_an_integer_beyond_int32_in_a_body(superuser, company_row):
    response = await superuser.post(
        f"{T}/clients/",
        json={"company": str(company_row.id), "phone": "79001230000", "visit_count": 2**40},
        headers=csrf(superuser),
    )
    assert response.status_code == 400, response.text
    assert "out of range for a 32-bit integer column" in response.text


async def test_a_body_that_is_not_json(superuser, company_row):
    response = await superuser.patch(
        f"{T}/companies/{company_row.id}/",
        content=b"{not json",
        headers={**csrf(superuser), "content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text


async def test_a_value_postgresql_refuses_is_a_422_naming_the_constraint(superuser, company_row):
    from business.tables import Client

    client = await Client.create(company=company_row.id, phone="79001112233")
    response = await superuser.patch(
        f"{T}/clients/{client.id}/",
        json={"phone": "secret-looking-phone"},
        headers=csrf(superuser),
    )
    assert response.status_code == 422, response.text
    assert "clients_phone_digits" in response.text
    assert "secret-looking-phone" not in response.text  # the message, not the row
    assert (await Client.objects().get(Client.id == client.id)).phone == "79001112233"


async def test_count_of_a_table_with_a_column_named_count(superuser):
    """Found by the fuzzer: piccolo_api's count calls table.count(), which
    pipeline_stage_counts.count shadows."""
    response = await superuser.get(f"{T}/pipeline_stage_counts/count/")
    assert response.status_code == 200, response.text
    assert response.json()["count"] >= 0
    filtered = await superuser.get(f"{T}/pipeline_stage_counts/count/?count=3&count__operator=gte")
    assert filtered.status_code == 200, filtered.text
    # The list's Content-Range total too (piccolo_api counts with table.count()).
    ranged = await superuser.get(f"{T}/pipeline_stage_counts/?__range_header=true")
    assert ranged.status_code == 200, ranged.text
    shown, total = len(ranged.json()["rows"]), response.json()["count"]
    assert ranged.headers["content-range"] == f"pipeline_stage_counts 0-{max(shown - 1, 0)}/{total}"


NOWHERE = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    "path,status,says",
    [
        ("/inspect/credentials/not-a-uuid/", 400, "the id must be a UUID, not 'not-a-uuid'"),
        (f"/inspect/credentials/{NOWHERE}/", 404, f"no credential {NOWHERE}"),
        ("/inspect/credentials/?failing=maybe", 400, "failing must be one of yes, no"),
        ("/inspect/credentials/?token=expired,soon", 400, "token must list states among"),
        ("/inspect/sync-logs/?page=0", 400, "page must be a whole number from 1 to 100000"),
        ("/inspect/sync-logs/?page=99999999999999999999", 400, "page must be a whole number"),
        ("/inspect/sync-logs/?status=stuck", 400, "status must be one of running, completed"),
        ("/inspect/sync-logs/?credential=42", 400, "credential must be a UUID, not '42'"),
        ("/inspect/sync-logs/stuck/?minutes=0", 400, "minutes must be a whole number from 1"),
        ("/inspect/sync-logs/stuck/?minutes=1.5", 400, "minutes must be a whole number"),
        ("/inspect/sync-logs/stuck/?minutes=%EF%BC%91", 400, "minutes must be a whole number"),
        ("/inspect/sync-logs/stuck/?minutes=99999999999", 400, "minutes must be a whole number"),
        ("/inspect/sync-logs/last/", 400, "the id must be a UUID, not 'last'"),
        ("/inspect/tables/nope/", 404, "no read-only table 'nope'"),
        ("/inspect/tables/st_jobs/?tenant_id=abc", 400, "invalid input syntax for type bigint"),
        ("/inspect/tables/st_jobs/?tenant_id=99999999999999999999", 400, "out of range"),
        ("/inspect/tables/st_jobs/?tenant_id=%00", 400, "0x00"),
        ("/inspect/tables/st_jobs/?page=99999999999", 400, "page must be a whole number"),
        ("/inspect/tables/st_jobs/bogus/", 400, "'bogus' is not an id of st_jobs"),
        ("/inspect/tables/admin_sessions/99999999999999999999/", 400, "is not an id of"),
        ("/inspect/tables/audit_log/?actor_user_id=zz", 400, "invalid input syntax for type uuid"),
    ],
)
async def test_a_bad_address_of_an_own_page_is_a_4xx_page_saying_why(superuser, path, status, says):
    response = await superuser.get(path)
    assert response.status_code == status, (response.status_code, response.text)
    assert '<p class="refused">' in response.text
    assert says in html.unescape(response.text)


@pytest.mark.parametrize(
    "path,status,says",
    [
        ("/inspect/tables/admin_sessions/99999999999999999999/delete/", 400, "is not an id of"),
        ("/inspect/tables/whatsapp_auth_keys/1/delete/", 400, "'1' is not an id of"),
        (f"/inspect/tables/st_jobs/{NOWHERE}/delete/", 405, "st_jobs is read-only"),
        (f"/inspect/sync-logs/{NOWHERE}/fail/", 404, f"no sync log {NOWHERE}"),
        (f"/inspect/credentials/{NOWHERE}/status/", 404, f"no credential {NOWHERE}"),
    ],
)
async def test_a_bad_action_is_a_4xx_page_saying_why(superuser, path, status, says):
    response = await superuser.post(path, data={"csrftoken": superuser.cookies["csrftoken"]})
    assert response.status_code == status, (response.status_code, response.text)
    assert says in html.unescape(response.text)
