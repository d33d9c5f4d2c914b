"""A table class changed without a migration fails here, naming the app and
table as ``piccolo migrations new --auto`` would see it."""

import pytest
from piccolo.columns import Varchar
from piccolo.conf.apps import AppConfig, Finder
from piccolo.constraints import Check

from platform_db.migrations.drift import drift
from tests.support.migrations import app_names


@pytest.mark.parametrize("app", app_names())
async def test_table_classes_match_migrations(app):
    problems = await drift(Finder().get_app_config(app))
    assert not problems, (
        f"app {app!r} has table changes without a migration; run "
        f"`piccolo migrations new {app} --auto`:\n" + "\n".join(problems)
    )


def _app_with(table_class) -> AppConfig:
    real = Finder().get_app_config("business")
    return AppConfig(
        app_name="business",
        migrations_folder_path=real.migrations_folder_path,
        table_classes=[table_class],
    )


async def test_drift_names_an_added_column():
    from business.tables import Company

    class Changed(Company, tablename="companies"):
        nickname = Varchar(length=40)

    problems = await drift(_app_with(Changed))
    assert any("nickname" in p and "companies" in p for p in problems), problems


async def test_drift_sees_a_changed_check_condition():
    from business.tables import Company

    class Changed(Company, tablename="companies"):
        companies_name_not_blank = Check("length(name) > 3")

    problems = await drift(_app_with(Changed))
    assert any("companies_name_not_blank" in p for p in problems), problems


async def test_drift_sees_a_changed_index_method():
    from piccolo.columns.indexes import IndexMethod

    from business.tables import Client

    class Changed(Client, tablename="clients"):
        phone = Varchar(length=20, index=True, index_method=IndexMethod.hash)

    problems = await drift(_app_with(Changed))
    assert any("clients" in p and "phone" in p for p in problems), problems
