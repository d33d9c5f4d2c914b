"""``state_only``: any generated operation of a migration changes Piccolo's
state only, while SQL steps (or nothing) do the database's side, in both
directions (Django's ``SeparateDatabaseAndState``)."""

import pytest
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Varchar
from piccolo.constraints import Check

from platform_db.database.catalog import diff
from platform_db.migrations.online import online_constraint
from platform_db.migrations.state import StateOnlyError, state_only
from platform_db.migrations.steps import SqlStep, add_sql_steps
from tests.platform.test_online_ddl import TABLE, probe, state  # noqa: F401


def generated(manager: MigrationManager) -> None:
    """What ``--auto`` would write for the probe's class ``OnlineProbe``."""
    common = {"table_class_name": "OnlineProbe", "tablename": "online_probe"}
    manager.add_column(
        **common, column_name="token", column_class=Varchar, params={"length": 40, "null": True}
    )
    manager.rename_column(**common, old_column_name="label", new_column_name="title")
    manager.drop_column(**common, column_name="n")
    manager.alter_column(
        **common,
        column_name="id",
        params={"index": True},
        old_params={"index": False},
        column_class=Integer,
        old_column_class=Integer,
    )
    manager.add_constraint(
        **common,
        constraint_name="online_probe_n_positive",
        constraint_class=Check,
        params={"condition": "n >= 0"},
    )
    manager.rename_table(
        old_class_name="OnlineProbe",
        old_tablename="online_probe",
        new_class_name="Probe",
        new_tablename="probe",
    )


def manager_with_steps() -> MigrationManager:
    manager = MigrationManager(migration_id="test", app_name="test", wrap_in_transaction=False)
    generated(manager)
    add_sql_steps(
        manager,
        SqlStep(
            f"ALTER TABLE {TABLE} ADD COLUMN token varchar(40)",
            f"ALTER TABLE {TABLE} DROP COLUMN token",
        ),
        SqlStep(
            f"ALTER TABLE {TABLE} RENAME COLUMN label TO title",
            f"ALTER TABLE {TABLE} RENAME COLUMN title TO label",
        ),
        *online_constraint(TABLE, "online_probe_n_positive", "CHECK (n >= 0)"),
    )
    # The column n stays (its drop is a later release's), the table keeps its name,
    # and no index is built on id: Piccolo's state says otherwise, the database does not.
    state_only(manager, "OnlineProbe")
    return manager


async def test_every_generated_operation_changes_only_the_state(probe):  # noqa: F811
    before = await state(probe)
    manager = manager_with_steps()
    # Piccolo's snapshot reads the operations without running the migration.
    assert len(manager.add_columns.add_columns) == 1 and len(manager.rename_tables) == 1
    await manager.run()
    columns = await probe.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'public.online_probe'::regclass"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
    )
    assert [c["attname"] for c in columns] == ["id", "n", "title", "token"]
    assert await probe.fetchval("SELECT to_regclass('public.probe')") is None
    assert await probe.fetchval(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'online_probe_n_positive'"
    )
    await manager_with_steps().run(backwards=True)
    assert diff(before, await state(probe)) == []


async def test_one_column_alone(probe):  # noqa: F811
    """By column name: the other operations of the migration still run."""
    manager = MigrationManager(migration_id="test", app_name="test")
    common = {"table_class_name": "OnlineProbe", "tablename": "online_probe"}
    manager.rename_column(**common, old_column_name="label", new_column_name="title")
    manager.drop_column(**common, column_name="n")
    state_only(manager, "OnlineProbe", "n")
    await manager.run()
    columns = await probe.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'public.online_probe'::regclass"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
    )
    assert [c["attname"] for c in columns] == ["id", "n", "title"]


def test_naming_no_operation_is_refused():
    manager = MigrationManager(migration_id="test", app_name="test")
    generated(manager)
    with pytest.raises(StateOnlyError, match="no generated .* operation on OnlineProbe.emial"):
        state_only(manager, "OnlineProbe", "emial")
    with pytest.raises(StateOnlyError, match="no kind of operation 'add_index'"):
        state_only(manager, "OnlineProbe", "n", kinds=["add_index"])
