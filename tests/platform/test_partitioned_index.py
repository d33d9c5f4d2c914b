"""``PartitionedIndex``: an index on a partitioned table through real
migrations (``CREATE INDEX CONCURRENTLY`` is refused there): ON ONLY the
parent, concurrently per partition, attached; run again after a failure; a
later partition gets its index; backwards leaves the table as it was."""

import asyncpg
import pytest

from platform_db.database.catalog import diff
from platform_db.migrations.online import ConcurrentIndex
from platform_db.migrations.partitioned import PartitionedIndex
from platform_db.migrations.steps import OnlineDDLRefused
from tests.platform.test_online_ddl import migrate, state

TABLE = "public.parts_probe"
NEWEST = PartitionedIndex("parts_probe_newest_idx", TABLE, "(created_at DESC, id DESC)")


@pytest.fixture
async def parts(conn):
    await conn.execute(f"""
        CREATE TABLE {TABLE} (
            id bigserial, phone text, created_at timestamptz NOT NULL,
            PRIMARY KEY (created_at, id)
        ) PARTITION BY RANGE (created_at);
        CREATE TABLE public.parts_probe_2026_01 PARTITION OF {TABLE}
            FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
        CREATE TABLE public.parts_probe_2026_02 PARTITION OF {TABLE}
            FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
        CREATE TABLE public.parts_probe_default PARTITION OF {TABLE} DEFAULT;
        INSERT INTO {TABLE} (phone, created_at)
        SELECT (i % 97)::text, '2025-12-20'::timestamptz + i * interval '1 hour'
        FROM generate_series(1, 2000) i;
        """)
    yield conn
    await conn.execute(f"DROP TABLE IF EXISTS {TABLE} CASCADE")


async def indexes(conn) -> dict[str, tuple]:
    found = await conn.fetch("""
        SELECT i.relname, x.indisvalid, p.relname AS parent
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN pg_inherits h ON h.inhrelid = i.oid
        LEFT JOIN pg_class p ON p.oid = h.inhparent
        WHERE i.relname LIKE 'parts_probe%newest_idx'
        """)
    return {r["relname"]: (r["indisvalid"], r["parent"]) for r in found}


async def test_builds_on_every_partition_attached_and_reverses(parts):
    before = await state(parts, "parts_probe")
    with pytest.raises(asyncpg.FeatureNotSupportedError, match="concurrently"):
        await migrate(ConcurrentIndex("parts_probe_newest_idx", TABLE, NEWEST.definition))
    await migrate(NEWEST)
    assert await indexes(parts) == {
        "parts_probe_newest_idx": (True, None),
        "parts_probe_2026_01_newest_idx": (True, "parts_probe_newest_idx"),
        "parts_probe_2026_02_newest_idx": (True, "parts_probe_newest_idx"),
        "parts_probe_default_newest_idx": (True, "parts_probe_newest_idx"),
    }
    await migrate(NEWEST)  # run again: nothing left to do
    # A partition created later gets its index from the parent's at once.
    await parts.execute(
        f"CREATE TABLE public.parts_probe_2026_05 PARTITION OF {TABLE}"
        " FOR VALUES FROM ('2026-05-01') TO ('2026-06-01')"
    )
    assert (
        await parts.fetchval(
            "SELECT count(*) FROM pg_inherits"
            " WHERE inhparent = 'public.parts_probe_newest_idx'::regclass"
        )
        == 4
    )
    await parts.execute("DROP TABLE public.parts_probe_2026_05")
    plan = "\n".join(
        r[0]
        for r in await parts.fetch(
            f"EXPLAIN SELECT id FROM {TABLE} ORDER BY created_at DESC, id DESC LIMIT 5"
        )
    )
    assert "parts_probe_2026_02_newest_idx" in plan, plan
    await migrate(NEWEST, backwards=True)
    assert diff(before, await state(parts, "parts_probe")) == []


async def test_a_failed_partition_build_is_resumed(parts):
    """A unique build that fails on one partition leaves the others built and
    attached, no INVALID index; fixed, the migration run again finishes."""
    before = await state(parts, "parts_probe")
    unique = PartitionedIndex("parts_probe_phone_key", TABLE, "(phone, created_at)", unique=True)
    await parts.execute(
        f"INSERT INTO {TABLE} (id, phone, created_at) VALUES"
        " (1, 'dup', '2026-02-03'), (2, 'dup', '2026-02-03')"
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        await migrate(unique)
    assert not await parts.fetchval(
        "SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indexrelid::regclass::text"
        " LIKE 'parts_probe_2026%'"
    )
    await parts.execute(f"DELETE FROM {TABLE} WHERE phone = 'dup' AND id = 2")
    await migrate(unique)
    assert await parts.fetchval(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.parts_probe_phone_key'::regclass"
    )
    await migrate(unique, backwards=True)
    assert diff(before, await state(parts, "parts_probe")) == []


async def test_half_done_forwards_reverses_exactly(parts):
    """Backwards after a forwards that stopped before attaching everything."""
    before = await state(parts, "parts_probe")
    await parts.execute(
        f"CREATE INDEX parts_probe_newest_idx ON ONLY {TABLE} (created_at DESC, id DESC);"
        "CREATE INDEX parts_probe_2026_01_newest_idx"
        " ON public.parts_probe_2026_01 (created_at DESC, id DESC)"
    )
    await migrate(NEWEST, backwards=True)
    assert diff(before, await state(parts, "parts_probe")) == []


async def test_a_nested_partitioned_table_is_refused(parts):
    await parts.execute(
        f"CREATE TABLE public.parts_probe_2027 PARTITION OF {TABLE}"
        " FOR VALUES FROM ('2027-01-01') TO ('2028-01-01') PARTITION BY RANGE (created_at)"
    )
    with pytest.raises(OnlineDDLRefused, match="parts_probe_2027 is partitioned itself"):
        await migrate(NEWEST)


def test_named_as_piccolo_names_a_column_index():
    index = PartitionedIndex.of_column("public.messages", "phone")
    assert (index.name, index.definition) == ("messages_phone", "USING btree (phone)")
    assert index.partition_index("public.messages_2026_01", "messages_2026_01").name == (
        "messages_2026_01_phone"
    )
