"""The online DDL helpers of ``platform_db.migrations.steps``, run through real
migrations on a table with rows: each one does its work, reverses exactly,
refuses where it cannot be online, and leaves nothing behind when it fails.
(Writers' waits under load: ``python -m bench.online_ddl``.)"""

import asyncpg
import pytest
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer

from platform_db.database.catalog import diff, snapshot
from platform_db.migrations.online import (
    ChangeColumnType,
    ConcurrentIndex,
    NotValidConstraint,
    SetNotNull,
    UniqueUsingIndex,
    ValidateConstraint,
    online_constraint,
)
from platform_db.migrations.steps import OnlineDDLRefused, add_sql_steps, done_by_sql_steps

TABLE = "public.online_probe"


@pytest.fixture
async def probe(conn):
    await conn.execute(f"""
        CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, n integer NOT NULL DEFAULT 7, label text);
        INSERT INTO {TABLE} (n, label) SELECT i % 50, 'row ' || i FROM generate_series(1, 2000) i;
        """)
    yield conn
    await conn.execute(f"DROP TABLE IF EXISTS {TABLE} CASCADE")


async def migrate(*steps, transaction=False, backwards=False, extra=None):
    manager = MigrationManager(
        migration_id="test", app_name="test", wrap_in_transaction=transaction
    )
    add_sql_steps(manager, *steps)
    if extra:
        extra(manager)
    await manager.run(backwards=backwards)
    return manager


async def state(conn, probe: str = "online_probe"):
    """The catalog's objects whose names hold ``probe``."""
    snap = await snapshot(conn)
    return {kind: {k: v for k, v in objs.items() if probe in k} for kind, objs in snap.items()}


async def rows(conn):
    return await conn.fetch(f"SELECT id, n, label FROM {TABLE} ORDER BY id")


async def test_concurrent_index_builds_and_reverses(probe):
    before = await state(probe)
    index = ConcurrentIndex("online_probe_n_idx", TABLE, "(n)")
    await migrate(index)
    assert await probe.fetchval(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.online_probe_n_idx'::regclass"
    )
    await migrate(index, backwards=True)
    assert diff(before, await state(probe)) == []


async def test_concurrent_steps_refuse_a_migration_in_a_transaction(probe):
    before = await state(probe)
    for step in (
        ConcurrentIndex("online_probe_n_idx", TABLE, "(n)"),
        ValidateConstraint(TABLE, "c", "CHECK (n >= 0)"),
        SetNotNull(TABLE, "label"),
        ChangeColumnType(TABLE, "n", "bigint", old_type="integer"),
    ):
        with pytest.raises(OnlineDDLRefused, match="wrap_in_transaction=False"):
            await migrate(step, transaction=True)
    assert diff(before, await state(probe)) == []


async def test_a_failed_concurrent_build_leaves_no_invalid_index(probe):
    unique = ConcurrentIndex("online_probe_n_key", TABLE, "(n)", unique=True)
    with pytest.raises(asyncpg.UniqueViolationError):
        await migrate(unique)
    assert await probe.fetchval("SELECT to_regclass('public.online_probe_n_key')") is None

    # One left by a build that died with its process: dropped before building.
    with pytest.raises(asyncpg.UniqueViolationError):
        await probe.execute(f"CREATE UNIQUE INDEX CONCURRENTLY online_probe_n_key ON {TABLE} (n)")
    assert await probe.fetchval(
        "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 'public.online_probe_n_key'::regclass"
    )
    await probe.execute(f"UPDATE {TABLE} SET n = id")
    await migrate(unique, UniqueUsingIndex(unique))
    assert (
        await probe.fetchval(
            "SELECT contype::text FROM pg_constraint WHERE conname = 'online_probe_n_key'"
        )
        == "u"
    )
    await migrate(unique, UniqueUsingIndex(unique), backwards=True)
    assert await probe.fetchval("SELECT to_regclass('public.online_probe_n_key')") is None


async def test_unique_using_index_reverses_to_the_index_alone(probe):
    await probe.execute(f"UPDATE {TABLE} SET n = id")
    unique = ConcurrentIndex("online_probe_n_key", TABLE, "(n)", unique=True)
    await migrate(unique)
    with_index = await state(probe)
    constraint = UniqueUsingIndex(unique)
    await migrate(constraint)
    await migrate(constraint, backwards=True)
    assert diff(with_index, await state(probe)) == []


async def test_not_valid_then_validate(probe):
    before = await state(probe)
    add, validate = online_constraint(TABLE, "online_probe_n_small", "CHECK (n < 40)")
    # Existing rows are not scanned: the NOT VALID constraint goes in...
    await migrate(add)
    assert (
        await probe.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'online_probe_n_small'"
        )
    ).endswith("NOT VALID")
    with pytest.raises(asyncpg.CheckViolationError):  # ...but new rows are checked
        await probe.execute(f"INSERT INTO {TABLE} (n) VALUES (45)")
    with pytest.raises(asyncpg.CheckViolationError):  # and validation finds the old ones
        await migrate(validate)
    await probe.execute(f"UPDATE {TABLE} SET n = 0 WHERE n >= 40")
    await migrate(add, validate)  # run again: the existing constraint is kept, then validated
    validated = await state(probe)
    assert not (
        await probe.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'online_probe_n_small'"
        )
    ).endswith("NOT VALID")
    await migrate(validate, backwards=True)  # back to NOT VALID, exactly
    await migrate(validate)
    assert diff(validated, await state(probe)) == []
    await migrate(add, validate, backwards=True)
    assert diff(before, await state(probe)) == []
    await probe.execute(f"UPDATE {TABLE} SET n = 45 WHERE id = 1")  # checked no more


async def test_validate_does_not_wait_for_an_open_writer(probe):
    from tests.conftest import TEST_DATABASE_URL
    from tests.support.databases import connect

    add, validate = online_constraint(TABLE, "online_probe_n_small", "CHECK (n < 100)")
    await migrate(add)
    writer = await connect(TEST_DATABASE_URL)
    try:
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute(f"INSERT INTO {TABLE} (n) VALUES (1)")  # holds ROW EXCLUSIVE
        await migrate(validate)  # lock_timeout would end it if it waited
        await transaction.rollback()
    finally:
        await writer.close()


async def test_foreign_key_not_valid_then_validate(probe):
    await probe.execute(
        "CREATE TABLE public.online_probe_parent (id bigint PRIMARY KEY);"
        "INSERT INTO public.online_probe_parent SELECT generate_series(0, 49)"
    )
    steps = online_constraint(
        TABLE, "online_probe_n_fk", "FOREIGN KEY (n) REFERENCES public.online_probe_parent (id)"
    )
    await migrate(*steps)
    assert await probe.fetchval(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'online_probe_n_fk'"
    )
    await migrate(*steps, backwards=True)
    assert (
        await probe.fetchval(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'online_probe_n_fk'"
        )
        == 0
    )
    await probe.execute("DROP TABLE public.online_probe_parent")


async def test_set_not_null_through_a_validated_check(probe):
    before = await state(probe)
    step = SetNotNull(TABLE, "label")
    await probe.execute(f"UPDATE {TABLE} SET label = NULL WHERE id = 5")
    with pytest.raises(asyncpg.CheckViolationError):
        await migrate(step)
    assert not await probe.fetchval(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.online_probe'::regclass"
        " AND attname = 'label'"
    )
    await probe.execute(f"UPDATE {TABLE} SET label = 'fixed' WHERE id = 5")
    await migrate(step)
    assert await probe.fetchval(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.online_probe'::regclass"
        " AND attname = 'label'"
    )
    assert "online_probe_label_not_null_check" not in str(await state(probe))
    await migrate(step, backwards=True)
    assert diff(before, await state(probe)) == []


async def test_change_column_type_keeps_every_value(probe):
    from tests.harness.test_reversibility import without_positions

    before = await state(probe)
    data = await rows(probe)
    step = ChangeColumnType(TABLE, "n", "bigint", old_type="integer", batch_size=300)
    await migrate(step)
    column = await probe.fetchrow(
        "SELECT format_type(atttypid, atttypmod) AS type, attnotnull,"
        " pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attribute a"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE attrelid = 'public.online_probe'::regclass AND attname = 'n'"
    )
    assert tuple(column) == ("bigint", True, "7")
    assert await rows(probe) == data
    await probe.execute(f"INSERT INTO {TABLE} (label) VALUES ('after')")  # default kept
    assert await probe.fetchval(f"SELECT n FROM {TABLE} WHERE label = 'after'") == 7
    await probe.execute(f"DELETE FROM {TABLE} WHERE label = 'after'")
    await migrate(step, backwards=True)
    assert (
        await probe.fetchval(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'public.online_probe'::regclass AND attname = 'n'"
        )
        == "integer"
    )
    assert await rows(probe) == data
    leftovers = await probe.fetchval(
        "SELECT count(*) FROM pg_proc WHERE proname LIKE 'online_probe_n_type_sync%'"
    )
    assert leftovers == 0
    # Exactly as before but for the column order, which the walk allows for.
    assert diff(before, await state(probe)) != []
    assert (
        diff(without_positions(before, {TABLE}), without_positions(await state(probe), {TABLE}))
        == []
    )


async def test_change_column_type_refuses_an_indexed_column(probe):
    await probe.execute(f"CREATE INDEX online_probe_n_idx ON {TABLE} (n)")
    before = await state(probe)
    with pytest.raises(OnlineDDLRefused, match="online_probe_n_idx"):
        await migrate(ChangeColumnType(TABLE, "n", "bigint", old_type="integer"))
    assert diff(before, await state(probe)) == []


async def test_done_by_sql_steps_keeps_the_generated_operation_from_running(probe):
    def index_n(manager):
        manager.alter_column(
            table_class_name="OnlineProbe",
            tablename="online_probe",
            column_name="n",
            db_column_name="n",
            params={"index": True},
            old_params={"index": False},
            column_class=Integer,
            old_column_class=Integer,
        )
        done_by_sql_steps(manager, "OnlineProbe", "n")

    index = ConcurrentIndex("online_probe_n_online_idx", TABLE, "(n)")
    manager = await migrate(index, extra=index_n)
    assert manager.alter_columns.alter_columns == []
    names = await probe.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'online_probe'")
    assert sorted(r["indexname"] for r in names) == [
        "online_probe_n_online_idx",
        "online_probe_pkey",
    ]


async def test_not_valid_constraint_works_in_a_transaction_too(probe):
    before = await state(probe)
    step = NotValidConstraint(TABLE, "online_probe_n_nonneg", "CHECK (n >= 0)")
    await migrate(step, transaction=True)
    await migrate(step, transaction=True, backwards=True)
    assert diff(before, await state(probe)) == []


async def test_change_column_type_carries_checks_and_keeps_updated_at(probe):
    """int -> bigint on a column under a CHECK, both ways: the CHECK is
    carried over (validated, same name), and the backfill restamps no row's
    updated_at, while the application's updates are stamped as ever."""
    from tests.harness.test_reversibility import without_positions

    await probe.execute(f"""
        ALTER TABLE {TABLE} ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2020-01-01';
        ALTER TABLE {TABLE} ADD CONSTRAINT online_probe_n_small CHECK (n < 1000);
        CREATE TRIGGER online_probe_set_updated_at BEFORE UPDATE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
        """)
    before = await state(probe)
    stamped = f"SELECT count(*) FROM {TABLE} WHERE updated_at <> '2020-01-01'"
    data = await rows(probe)
    step = ChangeColumnType(TABLE, "n", "bigint", old_type="integer", batch_size=300)
    await migrate(step)
    check = await probe.fetchrow(
        "SELECT pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint"
        " WHERE conrelid = 'public.online_probe'::regclass AND conname = 'online_probe_n_small'"
    )
    assert tuple(check) == ("CHECK ((n < 1000))", True)
    assert await probe.fetchval(stamped) == 0
    assert await rows(probe) == data
    with pytest.raises(asyncpg.CheckViolationError):
        await probe.execute(f"INSERT INTO {TABLE} (n) VALUES (5000)")
    await migrate(step, backwards=True)
    assert await probe.fetchval(stamped) == 0
    assert await rows(probe) == data
    assert (
        diff(without_positions(before, {TABLE}), without_positions(await state(probe), {TABLE}))
        == []
    )
    assert not await probe.fetchval(
        "SELECT count(*) FROM pg_proc WHERE proname LIKE 'online_probe%keep_updated_at'"
    )
    await probe.execute(f"UPDATE {TABLE} SET label = 'changed' WHERE id = 1")
    assert await probe.fetchval(stamped) == 1


async def test_a_backfills_batches_shrink_while_each_holds_its_rows_too_long(probe):
    """A writer of a row waits for the batch that holds it: a batch that took
    longer than BATCH_SECONDS halves the next, down to MIN_BATCH. Here every
    row costs 1 ms (a trigger), so every batch is too long: 1000, 500, then
    250 at a time."""
    from platform_db.migrations.backfill import Backfill

    await probe.execute(f"""
        CREATE TABLE public.online_probe_batches (txid bigint, id bigint);
        CREATE FUNCTION public.online_probe_slow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_sleep(0.001);
            INSERT INTO public.online_probe_batches VALUES (txid_current(), NEW.id);
            RETURN NEW;
        END $$;
        CREATE TRIGGER online_probe_slow BEFORE UPDATE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION public.online_probe_slow();
        """)
    try:
        await migrate(Backfill(TABLE, "label = t.label || '!'"))
        sizes = [
            r["rows"]
            for r in await probe.fetch(
                "SELECT count(*) AS rows FROM public.online_probe_batches"
                " GROUP BY txid ORDER BY min(id)"
            )
        ]
        assert sizes == [1000, 500, 250, 250]
        assert await probe.fetchval(f"SELECT count(*) FROM {TABLE} WHERE label LIKE '%!'") == 2000
    finally:
        await probe.execute(
            f"DROP TRIGGER IF EXISTS online_probe_slow ON {TABLE};"
            " DROP FUNCTION IF EXISTS public.online_probe_slow();"
            " DROP TABLE IF EXISTS public.online_probe_batches"
        )


@pytest.mark.parametrize(
    "size, took, most, then",
    [
        (1000, 0.3, 10_000, 500),  # too long: halved
        (250, 0.5, 10_000, 250),  # not below MIN_BATCH
        (1000, 0.15, 10_000, 1000),  # about right: kept
        (1000, 0.05, 10_000, 2000),  # quick: doubled
        (8000, 0.01, 10_000, 10_000),  # not past the step's batch_size
        (50, 1.0, 50, 50),  # a batch_size under MIN_BATCH is kept
    ],
)
def test_the_next_batch_is_sized_by_how_long_the_last_took(size, took, most, then):
    from platform_db.migrations.backfill import next_batch_size

    assert next_batch_size(size, took, most) == then
