"""The partitioned messages table: the DEFAULT partition, the partition
functions, get_recent_messages, partition pruning, and the Python API."""

import re
from datetime import timedelta

import asyncpg
import pytest

from business.message_rows import InvalidMessage
from business.tables import Company, Message
from tests.business.rows import insert, month_start, new_company, partition_name


async def partition_of(conn, message_id) -> str:
    return await conn.fetchval(
        "SELECT tableoid::regclass::text FROM messages WHERE id = $1", message_id
    )


async def add_message(conn, company, created_at, phone="79001112233"):
    return await insert(
        conn, "messages", company_id=company, phone=phone, direction="incoming",
        created_at=created_at,
    )  # fmt: skip


async def test_a_month_without_partition_lands_in_default_then_moves(tx):
    company = await new_company(tx)
    month = month_start(20)
    message = await add_message(tx, company, month + timedelta(days=3))
    assert await partition_of(tx, message) == "messages_default"

    made = await tx.fetchrow("SELECT * FROM create_messages_partition($1)", month.date())
    assert dict(made) == {
        "partition_name": partition_name(month),
        "created": True,
        "rows_moved": 1,
    }
    assert await partition_of(tx, message) == partition_name(month)

    again = await tx.fetchrow("SELECT * FROM create_messages_partition($1)", month.date())
    assert (again["created"], again["rows_moved"]) == (False, 0)
    assert await tx.fetchval("SELECT count(*) FROM messages WHERE company_id = $1", company) == 1


async def test_postgres_refuses_a_plain_partition_while_default_holds_its_rows(tx):
    """Why create_messages_partition moves rows before attaching."""
    month = month_start(20)
    await add_message(tx, await new_company(tx), month)
    with pytest.raises(asyncpg.CheckViolationError, match="default partition"):
        await tx.execute(
            f"CREATE TABLE {partition_name(month)} PARTITION OF messages "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{month_start(21).isoformat()}')"
        )


async def test_a_foreign_table_with_a_partitions_name_is_refused(tx):
    month = month_start(30)
    await tx.execute(f"CREATE TABLE {partition_name(month)} (id int)")
    with pytest.raises(asyncpg.DuplicateTableError, match="not a partition"):
        await tx.fetch("SELECT * FROM create_messages_partition($1)", month.date())


async def test_maintenance_creates_ahead_moves_retained_and_drops_the_old(tx):
    company = await new_company(tx)
    await tx.fetch("SELECT * FROM create_messages_partition($1)", month_start(-9).date())
    await add_message(tx, company, month_start(-9))  # in a partition past retention
    await add_message(tx, company, month_start(-10))  # in DEFAULT, past retention
    waiting = await add_message(tx, company, month_start(-13) + timedelta(days=400))

    done = await tx.fetch("SELECT * FROM maintain_messages_partitions(7, 6)")
    actions = {(r["action"], r["partition_name"]): r["row_count"] for r in done}

    assert actions[("created", partition_name(month_start(6)))] == 0
    assert actions[("created", partition_name(month_start(7)))] == 0
    assert actions[("dropped", partition_name(month_start(-9)))] == 1
    assert actions[("purged", "messages_default")] == 1
    assert await partition_of(tx, waiting) != "messages_default"
    oldest = await tx.fetchval(
        "SELECT min(relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'messages'::regclass AND relname <> 'messages_default'"
    )
    assert oldest >= partition_name(month_start(-6))
    assert await tx.fetch("SELECT * FROM maintain_messages_partitions(7, 6)") == []


async def test_maintenance_refuses_negative_months(tx):
    with pytest.raises(asyncpg.InvalidParameterValueError, match="must be 0 or more"):
        await tx.fetch("SELECT * FROM maintain_messages_partitions(-1, 6)")


async def test_messages_stats_count_each_partition(tx):
    company = await new_company(tx)
    for _ in range(3):
        await add_message(tx, company, month_start(1) + timedelta(hours=5))
    await add_message(tx, company, month_start(40))
    stats = {r["partition_name"]: r for r in await tx.fetch("SELECT * FROM get_messages_stats()")}
    next_month = stats[partition_name(month_start(1))]
    assert next_month["row_count"] >= 3
    assert (next_month["range_start"], next_month["range_end"]) == (month_start(1), month_start(2))
    assert next_month["total_bytes"] > 0
    assert stats["messages_default"]["range_start"] is None
    assert stats["messages_default"]["row_count"] >= 1


async def test_a_date_bounded_query_scans_one_partition(tx):
    plan = "\n".join(
        r[0]
        for r in await tx.fetch(
            f"EXPLAIN SELECT * FROM messages WHERE created_at >= '{month_start(1).isoformat()}'"
            f" AND created_at < '{month_start(2).isoformat()}'"
        )
    )
    assert partition_name(month_start(1)) in plan
    for other in (month_start(0), month_start(2), month_start(3)):
        assert partition_name(other) not in plan
    assert "messages_default" not in plan


async def test_a_prepared_generic_plan_prunes_at_run_time(tx):
    """How get_recent_messages' generic plan still reads one partition only."""
    await tx.execute(
        "SET LOCAL plan_cache_mode = force_generic_plan;"
        "PREPARE month_query(timestamptz, timestamptz) AS"
        " SELECT * FROM messages WHERE created_at >= $1 AND created_at < $2"
    )
    try:
        plan = "\n".join(
            r[0]
            for r in await tx.fetch(
                "EXPLAIN (ANALYZE, COSTS OFF) EXECUTE month_query("
                f"'{month_start(1).isoformat()}', '{month_start(2).isoformat()}')"
            )
        )
    finally:
        await tx.execute("DEALLOCATE month_query")
    assert re.search(r"Subplans Removed: [1-9]", plan), plan
    assert partition_name(month_start(1)) in plan
    assert partition_name(month_start(2)) not in plan


@pytest.fixture
async def company(migrated):
    row = Company(name="Messages salon")
    await row.save()
    yield row.id
    await Company.delete().where(Company.id == row.id)


async def test_get_recent_messages_newest_first_for_one_phone_and_company(company):
    other = Company(name="Other salon")
    await other.save()
    try:
        base = month_start(0)
        rows = [
            {"company_id": company, "phone": "+7 (900) 111-22-33", "direction": "incoming",
             "content": str(i), "created_at": base + timedelta(days=i % 90, seconds=i)}
            for i in range(70)
        ]  # fmt: skip
        rows.append({"company_id": company, "phone": "79009998877", "direction": "outgoing"})
        rows.append({"company_id": other.id, "phone": "79001112233", "direction": "incoming"})
        assert await Message.insert_bulk(rows) == 72

        recent = await Message.recent("79001112233", company, 50)
        assert len(recent) == 50
        assert {(r["company_id"], r["phone"]) for r in recent} == {(company, "79001112233")}
        times = [r["created_at"] for r in recent]
        assert times == sorted(times, reverse=True)
        assert times[0] == max(r["created_at"] for r in rows[:70])
        with pytest.raises(asyncpg.InvalidParameterValueError, match="between 1 and 1000"):
            await Message.recent("79001112233", company, 1001)
    finally:
        await Company.delete().where(Company.id == other.id)


async def test_insert_bulk_names_the_bad_row_and_writes_nothing(company):
    good = {"company_id": company, "phone": "79001112233", "direction": "incoming"}
    cases = [
        ({**good, "phone": "call me"}, "messages.phone = 'call me' rejected"),
        ({**good, "direction": "sideways"}, "messages.direction = 'sideways' rejected"),
        ({**good, "colour": "red"}, "messages.colour = 'red' rejected: no such column"),
        ({**good, "company_id": "acme"}, "messages.company_id = 'acme' rejected"),
        ({k: v for k, v in good.items() if k != "direction"}, "messages.direction = None rejected: is required"),
    ]
    for bad, reason in cases:
        with pytest.raises(InvalidMessage, match="messages row 2: ") as error:
            await Message.insert_bulk([good, good, bad, good])
        assert reason in str(error.value)
    assert await Message.count().where(Message.company == company) == 0


async def test_the_orm_reads_and_writes_the_partitioned_table(company):
    message = Message(company=company, phone="79001112233", direction="outgoing", content="hi")
    await message.save()
    row = await Message.select().where(Message.id == message.id).first()
    assert row["content"] == "hi" and row["status"] == "received"
    await Message.update({Message.status: "read"}).where(Message.id == message.id)
    assert await Message.count().where(Message.status == "read", Message.company == company) == 1


async def test_partition_api_returns_what_the_functions_do(tx, migrated):
    made = await Message.create_partition(month_start(0).date())
    assert made == {
        "partition_name": partition_name(month_start(0)),
        "created": False,
        "rows_moved": 0,
    }
    names = [r["partition_name"] for r in await Message.partition_stats()]
    assert partition_name(month_start(5)) in names and "messages_default" in names
