"""The one-call helpers of ``platform_db.migrations.generated`` on what
``--auto`` generates, through real migrations on a table with rows and an
``updated_at`` trigger: each does the work online, keeps the generated
operation for Piccolo's state only, restamps no row, and reverses exactly."""

import asyncpg
import pytest
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import UUID, BigSerial, ForeignKey, Integer, Varchar
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table

from platform_db.database.catalog import diff
from platform_db.migrations.generated import (
    AlterColumnType,
    change_column_type,
    foreign_key_column,
    online_unique,
    volatile_default_column,
)
from platform_db.migrations.online import ChangeColumnType
from platform_db.migrations.steps import OnlineDDLRefused
from tests.platform.test_online_ddl import TABLE, migrate, probe, state  # noqa: F401

COMMON = {"table_class_name": "OnlineProbe", "tablename": "online_probe"}
STAMPED = f"SELECT count(*) FROM {TABLE} WHERE updated_at <> '2020-01-01'"


class OnlineProbeParent(Table, tablename="online_probe_parent", schema=None):
    id = BigSerial(primary_key=True)


@pytest.fixture
async def live(probe):  # noqa: F811
    await probe.execute(f"""
        ALTER TABLE {TABLE} ADD COLUMN email varchar(255);
        UPDATE {TABLE} SET email = 'client' || id || '@example.com';
        ALTER TABLE {TABLE} ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2020-01-01';
        ALTER TABLE {TABLE} ADD CONSTRAINT online_probe_n_small CHECK (n < 1000);
        CREATE TRIGGER online_probe_set_updated_at BEFORE UPDATE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
        CREATE TABLE public.online_probe_parent (id bigserial PRIMARY KEY);
        INSERT INTO public.online_probe_parent SELECT generate_series(1, 10);
        """)
    yield probe
    await probe.execute("DROP TABLE IF EXISTS public.online_probe_parent CASCADE")


async def constraint(conn, name: str):
    return await conn.fetchrow(
        "SELECT contype::text, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint"
        " WHERE conrelid = 'public.online_probe'::regclass AND conname = $1",
        name,
    )


@pytest.mark.parametrize("declared", ["Unique([...])", "unique=True"])
async def test_online_unique_in_one_call(live, declared):
    before = await state(live)
    await live.execute(f"UPDATE {TABLE} SET n = 0")  # still stamped by the application

    def build(manager):
        if declared == "unique=True":
            manager.alter_column(
                **COMMON,
                column_name="email",
                params={"unique": True},
                old_params={"unique": False},
                column_class=Varchar,
                old_column_class=Varchar,
            )
            online_unique(manager, "OnlineProbe", "email")
        else:
            manager.add_constraint(
                **COMMON,
                constraint_name="online_probe_email_label_key",
                constraint_class=Unique,
                params={"columns": ["email", "label"], "nulls_distinct": True},
            )
            online_unique(manager, "OnlineProbe", "online_probe_email_label_key")

    name = "online_probe_email_key" if declared == "unique=True" else "online_probe_email_label_key"
    await migrate(extra=build)
    await migrate(
        extra=build
    )  # run again after success: nothing left to do, no DuplicateTableError
    assert (await constraint(live, name))["contype"] == "u"
    with pytest.raises(asyncpg.UniqueViolationError):
        await live.execute(
            f"UPDATE {TABLE} SET email = 'client1@example.com', label = 'row 1' WHERE id = 2"
        )
    await migrate(extra=build, backwards=True)
    assert await constraint(live, name) is None
    after = await state(live)
    assert diff(before, after) == []


async def test_foreign_key_on_a_new_column_in_one_call(live):
    before = await state(live)

    def build(manager):
        manager.add_column(
            **COMMON,
            column_name="owner",
            db_column_name="owner",
            column_class=ForeignKey,
            params={
                "references": OnlineProbeParent,
                "on_delete": OnDelete.set_null,
                "on_update": OnUpdate.cascade,
                "target_column": None,
                "null": True,
                "index": True,
            },
        )
        foreign_key_column(manager, "OnlineProbe", "owner")

    await migrate(extra=build)
    fk = await constraint(live, "online_probe_owner_fkey")
    assert fk["contype"] == "f" and fk["convalidated"]
    assert fk["def"] == (
        "FOREIGN KEY (owner) REFERENCES online_probe_parent(id) ON UPDATE CASCADE ON DELETE SET NULL"
    )
    assert await live.fetchval(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.online_probe_owner'::regclass"
    )
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await live.execute(f"UPDATE {TABLE} SET owner = 99 WHERE id = 1")
    await migrate(extra=build, backwards=True)
    assert diff(before, await state(live)) == []


async def test_a_not_null_foreign_key_is_refused():
    manager = MigrationManager(migration_id="test", app_name="test", wrap_in_transaction=False)
    manager.add_column(
        **COMMON,
        column_name="parent",
        column_class=ForeignKey,
        params={"references": OnlineProbeParent, "null": False},
    )
    with pytest.raises(OnlineDDLRefused, match="null=True, fill it, then SetNotNull"):
        foreign_key_column(manager, "OnlineProbe", "parent")


async def test_not_null_with_a_volatile_default_in_one_call(live):
    before = await state(live)

    def build(manager):
        manager.add_column(
            **COMMON,
            column_name="token",
            db_column_name="token",
            column_class=UUID,
            params={"default": UUID4(), "null": False},
        )
        volatile_default_column(manager, "OnlineProbe", "token", batch_size=300)

    await migrate(extra=build)
    assert await live.fetchval(f"SELECT count(DISTINCT token) FROM {TABLE}") == 2000
    assert await live.fetchval(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.online_probe'::regclass"
        " AND attname = 'token'"
    )
    assert await live.fetchval(STAMPED) == 0
    await live.execute(f"INSERT INTO {TABLE} (n) VALUES (1)")  # the default, for new rows
    assert await live.fetchval(f"SELECT token IS NOT NULL FROM {TABLE} WHERE n = 1 LIMIT 1")
    await live.execute(f"DELETE FROM {TABLE} WHERE id > 2000")
    await migrate(extra=build, backwards=True)
    assert diff(before, await state(live)) == []


async def test_a_metadata_only_type_change_rewrites_nothing(live):
    before = await state(live)
    file = "SELECT relfilenode FROM pg_class WHERE oid = 'public.online_probe'::regclass"
    relfilenode = await live.fetchval(file)

    def build(manager):
        manager.alter_column(
            **COMMON,
            column_name="email",
            params={"length": 320},
            old_params={"length": 255},
            column_class=Varchar,
            old_column_class=Varchar,
        )
        step = change_column_type(manager, "OnlineProbe", "email", "varchar(255)", "varchar(320)")
        assert isinstance(step, AlterColumnType)

    await migrate(extra=build)
    assert (
        await live.fetchval(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'public.online_probe'::regclass AND attname = 'email'"
        )
        == "character varying(320)"
    )
    assert await live.fetchval(file) == relfilenode  # not rewritten
    assert await live.fetchval(STAMPED) == 0
    await migrate(extra=build, backwards=True)
    assert diff(before, await state(live)) == []
    with pytest.raises(OnlineDDLRefused, match="rewrites the table; use ChangeColumnType"):
        AlterColumnType(TABLE, "n", "bigint", "integer")


async def test_a_type_change_that_rewrites_goes_through_change_column_type(live):
    from tests.harness.test_reversibility import without_positions

    before = await state(live)

    def build(manager):
        manager.alter_column(
            **COMMON,
            column_name="n",
            params={},
            old_params={},
            column_class=Integer,
            old_column_class=Integer,
        )
        step = change_column_type(manager, "OnlineProbe", "n", "integer", "bigint")
        assert isinstance(step, ChangeColumnType)

    await migrate(extra=build)
    assert (await constraint(live, "online_probe_n_small"))["convalidated"]
    assert await live.fetchval(STAMPED) == 0
    await migrate(extra=build, backwards=True)
    assert (
        diff(without_positions(before, {TABLE}), without_positions(await state(live), {TABLE}))
        == []
    )
