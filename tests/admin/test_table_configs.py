"""The admin's table list comes from the app registry, grouped by app, and
refuses two tables that Piccolo Admin would serve at the same URL."""

import pytest
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSONB, Text, Timestamptz, Varchar
from piccolo.conf.apps import AppConfig, Finder
from piccolo.table import Table

from admin.table_configs import AdminTableNameClash, generic_config, table_configs
from admin.validators import refuse_weak_passwords


def _elsewhere():
    from admin.inspected import OWN_PAGES, inspected_tables
    from admin.tables import AdminSession

    inspected = inspected_tables(Finder().get_app_configs(), BaseUser, AdminSession)
    return {table.table for table in inspected} | set(OWN_PAGES)


def test_every_table_of_every_app_is_in_piccolo_admin_or_on_the_admins_own_pages():
    elsewhere = _elsewhere()
    configs = {c.table_class: c for c in table_configs(elsewhere=elsewhere)}
    for app in Finder().get_app_configs():
        for table in app.table_classes:
            assert table in elsewhere or configs[table].menu_group == app.app_name
    assert not elsewhere & set(configs)


async def test_piccolo_admin_lists_the_writable_tables_of_the_registry_grouped(superuser):
    grouped = (await superuser.get("/admin/api/tables/grouped/")).json()["grouped"]
    elsewhere = _elsewhere()
    expected = {
        app.app_name: sorted(t._meta.tablename for t in app.table_classes if t not in elsewhere)
        for app in Finder().get_app_configs()
    }
    expected = {group: names for group, names in expected.items() if names}
    assert {group: sorted(names) for group, names in grouped.items()} == expected
    assert "servicetitan" not in grouped  # credentials, logs and cache are read-only pages


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
    # Piccolo hashes the password; the admin adds its policy (admin.passwords).
    assert config.validators.patch_single == [refuse_weak_passwords]


def test_the_real_registry_has_no_two_tables_at_one_url():
    """raw.sync_state (servicetitan) and public.sync_status (business) are
    different names, as are reporting's sessions and the admin's sessions."""
    tables = [config.table_class for config in table_configs()]  # all, as before filtering
    served = {}
    for table in tables:
        served.setdefault(table._meta.tablename, []).append(table)
    assert all(len(same) == 1 for same in served.values()), served
    assert {"sync_state", "sync_status", "sessions", "admin_sessions"} <= set(served)
    assert served["sync_state"][0]._meta.schema == "raw"
