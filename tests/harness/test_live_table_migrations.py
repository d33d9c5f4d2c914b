"""``LiveTableMigrationManager``: a CHECK is added NOT VALID, committed, then
validated in a statement of its own; run again after a failure, the
migration adds only what is missing. Tried on a scratch table."""

import asyncpg
import pytest
from piccolo.constraints import Check

from platform_db.migrations.online import LiveTableMigrationManager

CONSTRAINT = "scratch_live_n_positive"


def manager() -> LiveTableMigrationManager:
    migration = LiveTableMigrationManager(migration_id="live-table-test", app_name="scratch")
    migration.add_constraint(
        table_class_name="ScratchLive",
        tablename="scratch_live",
        constraint_name=CONSTRAINT,
        constraint_class=Check,
        params={"condition": "n > 0"},
        schema=None,
    )
    return migration


@pytest.fixture
async def scratch(conn):
    await conn.execute("CREATE TABLE scratch_live (n integer); INSERT INTO scratch_live VALUES (1), (-1)")
    yield conn
    await conn.execute("DROP TABLE scratch_live")


async def validated(conn):
    return await conn.fetchval(
        "SELECT convalidated FROM pg_constraint WHERE conname = $1", CONSTRAINT
    )


async def test_a_check_is_added_not_valid_then_validated_and_a_rerun_finishes(scratch):
    with pytest.raises(asyncpg.CheckViolationError):
        await manager().run()
    # added and committed before the validation scanned the rows
    assert await validated(scratch) is False
    await scratch.execute("DELETE FROM scratch_live WHERE n <= 0")
    await manager().run()
    assert await validated(scratch) is True
    await manager().run(backwards=True)
    assert await validated(scratch) is None


async def test_only_a_check_can_be_added_this_way(scratch):
    from piccolo.constraints import Unique

    migration = LiveTableMigrationManager(migration_id="live-table-test", app_name="scratch")
    migration.add_constraint(
        table_class_name="ScratchLive", tablename="scratch_live", constraint_name="scratch_u",
        constraint_class=Unique, params={"columns": ["n"]}, schema=None,
    )
    with pytest.raises(TypeError, match="only a CHECK"):
        await migration.run()
