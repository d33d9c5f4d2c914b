"""The admin's table list comes from the app registry, grouped by app, and
refuses two tables that Piccolo Admin would serve at the same URL."""

import json

import pytest
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSONB, Text, Timestamptz, Varchar
from piccolo.conf.apps import AppConfig, Finder
from piccolo.table import Table

from admin.table_configs import AdminTableNameClash, generic_config, table_configs
from tests.admin.support import csrf


def test_every_table_of_every_app_is_in_the_admin_grouped_by_app():
    configs = {c.table_class: c for c in table_configs()}
    for app in Finder().get_app_configs():
        for table in app.table_classes:
            assert configs[table].menu_group == app.app_name


async def test_the_admin_lists_the_registry_grouped(client):
    grouped = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
    expected = {
        app.app_name: sorted(t._meta.tablename for t in app.table_classes)
        for app in Finder().get_app_configs()
        if app.table_classes
    }
    assert {group: sorted(names) for group, names in grouped.items()} == expected


def _app(name: str, *tables) -> AppConfig:
    return AppConfig(app_name=name, migrations_folder_path="", table_classes=list(tables))


def test_two_tables_of_one_name_in_different_schemas_are_refused():
    class PublicState(Table, tablename="sync_state"):
        name = Varchar()

    class RawState(Table, tablename="sync_state", schema="raw"):
        name = Varchar()

    with pytest.raises(AdminTableNameClash) as raised:
        table_configs([_app("business", PublicState), _app("servicetitan", RawState)])
    message = str(raised.value)
    assert "raw.sync_state" in message and "/api/tables/sync_state/" in message


def test_distinct_names_in_different_schemas_are_fine():
    class Jobs(Table, tablename="st_jobs", schema="raw"):
        tenant_id = Varchar()

    class Bookings(Table, tablename="bookings"):
        name = Varchar()

    configs = table_configs([_app("servicetitan", Jobs), _app("business", Bookings)])
    assert [c.table_class for c in configs] == [Jobs, Bookings]


def test_a_new_table_gets_secrets_and_json_out_of_lists_the_tenant_first_and_newest_first():
    class Cache(Table, tablename="st_probe_cache", schema="raw"):
        api_key = Text(secret=True)
        status = Varchar()
        full_data = JSONB()
        tenant_id = Varchar()
        created_at = Timestamptz()

    config = generic_config(Cache, "servicetitan")
    assert "api_key" not in config.get_visible_column_names()
    assert "full_data" not in config.get_visible_column_names()
    assert config.get_visible_filter_names()[0] == "tenant_id"
    assert {"api_key", "full_data"}.isdisjoint(config.get_visible_filter_names())
    assert [(o.column._meta.name, o.ascending) for o in config.get_order_by()] == [
        ("created_at", False)
    ]
    assert config.validators.patch_single and config.validators.post_single


def test_the_user_table_keeps_piccolos_own_password_handling():
    config = generic_config(BaseUser, "user", auth_table=BaseUser)
    assert "password" not in config.get_visible_column_names()
    assert not config.validators.patch_single


async def test_sync_logs_are_newest_first_with_readable_credentials(client, failed_log):
    schema = (await client.get("/admin/api/tables/servicetitan_sync_logs/schema/")).json()
    assert schema["extra"]["order_by"] == [{"column": "started_at", "ascending": False}]
    assert set(schema["extra"]["visible_filter_names"]) == {
        "status", "sync_type", "data_type", "started_at", "servicetitan_credential"
    }
    detail = (
        await client.get(f"/admin/api/tables/servicetitan_sync_logs/{failed_log.id}/?__readable=true")
    ).json()
    assert detail["servicetitan_credential_readable"].endswith("(production)")
    assert detail["processing_time_seconds"] is not None
    assert detail["error_message"] == failed_log.error_message


def test_the_real_registry_has_no_two_tables_at_one_url():
    """raw.sync_state (servicetitan) and public.sync_status (business) are
    different names, as are reporting's sessions and the admin's sessions."""
    tables = [config.table_class for config in table_configs()]
    served = {}
    for table in tables:
        served.setdefault(table._meta.tablename, []).append(table)
    assert all(len(same) == 1 for same in served.values()), served
    assert {"sync_state", "sync_status", "sessions", "admin_sessions"} <= set(served)
    assert served["sync_state"][0]._meta.schema == "raw"


RAW_CACHE = ["st_locations", "st_jobs", "st_appointments", "st_appointment_assignments",
             "st_technicians"]


@pytest.mark.parametrize("name", RAW_CACHE)
async def test_a_raw_cache_list_is_by_tenant_newest_synced_first_without_full_data(client, name):
    extra = (await client.get(f"/admin/api/tables/{name}/schema/")).json()["extra"]
    assert extra["visible_filter_names"][0] == "tenant_id"
    assert extra["visible_column_names"][:2] == ["tenant_id", "id"]
    assert "full_data" not in extra["visible_column_names"]
    assert "full_data" not in extra["visible_filter_names"]
    assert extra["order_by"][0] == {"column": "synced_at", "ascending": False}
    assert extra["link_column_name"] == "id"


async def test_the_raw_cache_filtered_by_tenant_and_one_record_with_its_full_data(
    client, synced_tenant
):
    jobs = "/admin/api/tables/st_jobs"
    listed = (await client.get(f"{jobs}/?tenant_id={synced_tenant}&__page_size=100")).json()
    assert sorted(row["id"] for row in listed["rows"]) == [1, 2, 3]
    assert {row["tenant_id"] for row in listed["rows"]} == {synced_tenant}
    other = (await client.get(f"{jobs}/?tenant_id={synced_tenant + 10**9}")).json()["rows"]
    assert other == []
    row_id = next(row["row_id"] for row in listed["rows"] if row["id"] == 3)
    detail = (await client.get(f"{jobs}/{row_id}/")).json()
    assert json.loads(detail["full_data"])["jobStatus"] == "Completed"


@pytest.mark.parametrize("write", ["post", "patch", "delete"])
async def test_the_raw_cache_is_read_only_in_the_admin(client, synced_tenant, write):
    jobs = "/admin/api/tables/st_jobs"
    row_id = (await client.get(f"{jobs}/?tenant_id={synced_tenant}")).json()["rows"][0]["row_id"]
    url = f"{jobs}/" if write == "post" else f"{jobs}/{row_id}/"
    kwargs = {} if write == "delete" else {"json": {"job_status": "Hacked"}}
    response = await getattr(client, write)(url, headers=csrf(client), **kwargs)
    assert response.status_code == 403, response.text
    assert "written by sync runs only" in response.json()["detail"]
