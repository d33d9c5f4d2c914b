"""Foreign keys stored under another database name (``db_column_name``) work
in Piccolo Admin: the schema names them as the rows do, and filters match."""

import uuid

import pytest

CLIENTS = "/admin/api/tables/clients"


@pytest.fixture(scope="session")
async def salon_client(known_credential):
    from business.tables import Client, Company

    company = await Company.objects().first()
    client = await Client.create(company=company.id, phone=f"7900{uuid.uuid4().int % 10**7:07d}")
    return company, client


async def test_the_schema_names_a_foreign_key_as_the_rows_do(client, salon_client):
    _, row = salon_client
    properties = (await client.get(f"{CLIENTS}/schema/")).json()["properties"]
    shown = (await client.get(f"{CLIENTS}/{row.id}/")).json()
    assert "company" in properties and "company" in shown
    assert "company_id" not in properties
    assert properties["company"]["extra"]["foreign_key"]


async def test_a_filter_on_such_a_foreign_key_matches(client, salon_client):
    company, row = salon_client
    response = await client.get(f"{CLIENTS}/?company={company.id}&__page_size=100")
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert str(row.id) in [r["id"] for r in rows]
    assert all(r["company"] == str(company.id) for r in rows)


async def test_a_boolean_is_listed_as_yes_or_no_text(superuser):
    """Piccolo Admin shows a boolean as an icon without text (empty to a page
    read as text or by a screen reader); with choices it shows their names."""
    properties = (await superuser.get("/admin/api/tables/piccolo_user/schema/")).json()[
        "properties"
    ]
    for name in ("active", "admin", "superuser"):
        assert properties[name]["extra"]["choices"] == {
            "yes": {"display_name": "yes", "value": True},
            "no": {"display_name": "no", "value": False},
        }
    assert properties["username"]["extra"]["choices"] is None


async def test_users_are_listed_newest_first_with_the_zone_of_their_last_login(superuser):
    schema = (await superuser.get("/admin/api/tables/piccolo_user/schema/")).json()
    assert schema["extra"]["order_by"] == [{"column": "id", "ascending": False}]
    rows = (await superuser.get("/admin/api/tables/piccolo_user/?__order=-id")).json()["rows"]
    logged_in = [row["last_login"] for row in rows if row["last_login"]]
    assert logged_in and all(value.endswith("Z") for value in logged_in)
    # The row itself (what the edit form reads) stays as the column holds it.
    one = (await superuser.get(f"/admin/api/tables/piccolo_user/{rows[0]['id']}/")).json()
    assert one["last_login"] is None or not one["last_login"].endswith("Z")


@pytest.fixture
async def company_with_precise_times(conn):
    from business.tables import Company

    company = await Company.create(name=f"Precise Salon {uuid.uuid4().hex[:6]}")
    await conn.execute(
        "UPDATE companies SET created_at = '2026-01-02 03:04:05.678901+00' WHERE id = $1",
        company.id,
    )
    yield company
    await Company.delete().where(Company.id == company.id)


async def test_saving_a_row_keeps_its_times_to_the_microsecond(
    superuser, conn, company_with_precise_times
):
    """Piccolo Admin's form sends every field back, its times cut to the
    millisecond; saving a row changed its created_at."""
    from tests.admin.support import csrf

    url = f"/admin/api/tables/companies/{company_with_precise_times.id}/"
    saved = await superuser.patch(
        url,
        json={"name": "Renamed Salon", "created_at": "2026-01-02T03:04:05.678Z"},
        headers=csrf(superuser),
    )
    assert saved.status_code == 200, saved.text
    row = await conn.fetchrow(
        "SELECT name, created_at::text AS created_at FROM companies WHERE id = $1",
        company_with_precise_times.id,
    )
    assert dict(row) == {"name": "Renamed Salon", "created_at": "2026-01-02 03:04:05.678901+00"}
    # A time the operator did change is written.
    changed = await superuser.patch(
        url, json={"created_at": "2026-01-02T03:04:06.000Z"}, headers=csrf(superuser)
    )
    assert changed.status_code == 200, changed.text
    assert (
        await conn.fetchval(
            "SELECT created_at::text FROM companies WHERE id = $1", company_with_precise_times.id
        )
        == "2026-01-02 03:04:06+00"
    )


async def test_saving_a_user_keeps_the_last_login_to_the_microsecond(superuser, conn):
    from piccolo.apps.user.tables import BaseUser

    from tests.admin.support import create_admin_user, csrf

    user = await BaseUser.objects().get(BaseUser.username == await create_admin_user())
    await conn.execute(
        "UPDATE piccolo_user SET last_login = '2026-01-02 03:04:05.678901' WHERE id = $1", user.id
    )
    saved = await superuser.patch(
        f"/admin/api/tables/piccolo_user/{user.id}/",
        json={"first_name": "Ops", "last_login": "2026-01-02T03:04:05.678"},
        headers=csrf(superuser),
    )
    assert saved.status_code == 200, saved.text
    assert (
        await conn.fetchval("SELECT last_login::text FROM piccolo_user WHERE id = $1", user.id)
        == "2026-01-02 03:04:05.678901"
    )
