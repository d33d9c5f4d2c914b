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
