"""Foreign keys stored under another database name (``db_column_name``) work
in the admin: the schema names them as the rows do, and filters match."""


async def test_the_schema_names_a_foreign_key_as_the_rows_do(client, failed_log):
    logs = "/admin/api/tables/servicetitan_sync_logs"
    properties = (await client.get(f"{logs}/schema/")).json()["properties"]
    row = (await client.get(f"{logs}/{failed_log.id}/")).json()
    assert "servicetitan_credential" in properties and "servicetitan_credential" in row
    assert "servicetitan_credential_id" not in properties
    assert properties["servicetitan_credential"]["extra"]["foreign_key"]


async def test_a_filter_on_such_a_foreign_key_matches(client, known_credential, failed_log):
    response = await client.get(
        "/admin/api/tables/servicetitan_sync_logs/"
        f"?servicetitan_credential={known_credential.id}&__page_size=100"
    )
    assert response.status_code == 200, response.text
    ids = [row["id"] for row in response.json()["rows"]]
    assert str(failed_log.id) in ids
    assert all(
        row["servicetitan_credential"] == str(known_credential.id)
        for row in response.json()["rows"]
    )
