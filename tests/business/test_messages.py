"""The partitioned messages table: the DEFAULT partition, the partition
functions, get_recent_messages, partition pruning, and the Python API."""

import random
import re
from datetime import timedelta

import asyncpg
import pytest

from business.message_rows import InvalidMessage
from business.tables import Company, Message
from tests.business.rows import insert, month_start, new_company, partition_name


async def partitions_and_rows(conn) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT tableoid::regclass::text AS name, count(*) AS n FROM messages GROUP BY 1"
    )
    names = await conn.fetch(
        "SELECT inhrelid::regclass::text AS name FROM pg_inherits "
        "WHERE inhparent = 'messages'::regclass"
    )
    counts = {r["name"]: r["n"] for r in rows}
    return {r["name"]: counts.get(r["name"], 0) for r in names}


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


# Far back, where no other test makes partitions: a retention of 100 months.
RETENTION = 100


async def old_and_waiting(tx):
    """A partition past retention with a message, a DEFAULT message past
    retention, and one of a retained month without partition (in DEFAULT)."""
    company = await new_company(tx)
    await tx.fetch("SELECT * FROM create_messages_partition($1)", month_start(-109).date())
    await add_message(tx, company, month_start(-109))
    await add_message(tx, company, month_start(-110))
    waiting = await add_message(tx, company, month_start(-50) + timedelta(days=3))
    assert await partition_of(tx, waiting) == "messages_default"
    return waiting


async def plan_of(tx, ahead: int, retention: int = RETENTION, keep: bool = False) -> dict:
    rows = await tx.fetch("SELECT * FROM messages_partition_plan($1, $2, $3)", ahead, retention, keep)
    return {(r["action"], r["partition_name"]): r for r in rows}


async def test_the_plan_says_what_maintenance_would_do_and_changes_nothing(tx):
    waiting = await old_and_waiting(tx)
    before = await partitions_and_rows(tx)

    plan = await plan_of(tx, 7)

    assert plan[("create", partition_name(month_start(-50)))]["row_count"] == 1
    assert plan[("create", partition_name(month_start(-50)))]["range_start"] == month_start(-50)
    dropped = plan[("drop", partition_name(month_start(-109)))]
    assert (dropped["row_count"], dropped["range_start"], dropped["range_end"]) == (
        1, month_start(-109), month_start(-108)
    )
    purge = plan[("purge", "messages_default")]
    assert (purge["row_count"], purge["range_end"]) == (1, month_start(-RETENTION))
    assert ("create", partition_name(month_start(0))) not in plan  # made by the migration
    assert await partitions_and_rows(tx) == before
    assert await partition_of(tx, waiting) == "messages_default"
    keep = await plan_of(tx, 7, keep=True)
    assert ("detach", partition_name(month_start(-109))) in keep


async def test_each_step_does_what_the_plan_said(tx):
    waiting = await old_and_waiting(tx)
    for (action, name), step in (await plan_of(tx, 7)).items():
        if action == "create":
            made = await tx.fetchrow(
                "SELECT * FROM create_messages_partition($1)", step["range_start"].date()
            )
            assert (made["created"], made["rows_moved"]) == (True, step["row_count"])
        elif action == "drop":
            done = await tx.fetchrow("SELECT * FROM drop_messages_partition($1, $2)", name, RETENTION)
            assert dict(done) == {"action": "dropped", "partition_name": name, "row_count": 1}
        else:
            assert await tx.fetchval("SELECT purge_messages_default($1)", RETENTION) == 1
    assert await partition_of(tx, waiting) == partition_name(month_start(-50))
    assert await tx.fetchval("SELECT to_regclass($1)", partition_name(month_start(-109))) is None
    assert await plan_of(tx, 7) == {}


async def test_a_kept_partition_is_detached_with_its_rows(tx):
    await old_and_waiting(tx)
    name = partition_name(month_start(-109))
    done = await tx.fetchrow("SELECT * FROM drop_messages_partition($1, $2, true)", name, RETENTION)
    assert dict(done) == {"action": "detached", "partition_name": name, "row_count": 1}
    assert await tx.fetchval(f"SELECT count(*) FROM {name}") == 1
    assert await tx.fetchval("SELECT count(*) FROM pg_inherits WHERE inhrelid = $1::regclass", name) == 0


async def test_a_partition_within_retention_is_never_dropped(tx):
    await old_and_waiting(tx)
    name = partition_name(month_start(-109))
    with pytest.raises(asyncpg.InvalidParameterValueError, match="a retention of 110 months keeps"):
        async with tx.transaction():
            await tx.fetch("SELECT * FROM drop_messages_partition($1, 110)", name)
    with pytest.raises(asyncpg.UndefinedTableError, match="not a range partition"):
        async with tx.transaction():
            await tx.fetch("SELECT * FROM drop_messages_partition('messages_default', 0)")
    assert await tx.fetchval("SELECT count(*) FROM messages WHERE tableoid = $1::regclass", name) == 1


@pytest.mark.parametrize(
    "call, message",
    [
        ("messages_partition_plan(61, 6)", "months_ahead must be between 0 and 60, not 61"),
        ("messages_partition_plan(-1, 6)", "months_ahead must be between 0 and 60, not -1"),
        ("messages_partition_plan(5, 1201)", "retention_months must be between 0 and 1,200, not 1201"),
        ("messages_partition_plan(5, -1)", "retention_months must be between 0 and 1,200, not -1"),
        ("messages_partition_plan(5, NULL)", "retention_months must be between 0 and 1,200, not NULL"),
        ("purge_messages_default(2000)", "retention_months must be between 0 and 1,200, not 2000"),
    ],
)
async def test_maintenance_refuses_arguments_out_of_bounds(tx, call, message):
    with pytest.raises(asyncpg.InvalidParameterValueError, match=re.escape(message)):
        await tx.fetch(f"SELECT * FROM {call}")


async def test_messages_stats_estimate_by_default_and_count_on_request(tx):
    company = await new_company(tx)
    for _ in range(3):
        await add_message(tx, company, month_start(1) + timedelta(hours=5))
    await add_message(tx, company, month_start(40))
    await tx.execute(f"ANALYZE {partition_name(month_start(1))}, messages_default")
    counted = {r["partition_name"]: r for r in await tx.fetch("SELECT * FROM get_messages_stats(true)")}
    next_month = counted[partition_name(month_start(1))]
    assert next_month["row_count"] >= 3 and next_month["exact"]
    assert (next_month["range_start"], next_month["range_end"]) == (month_start(1), month_start(2))
    assert next_month["total_bytes"] > 0
    assert counted["messages_default"]["range_start"] is None
    assert counted["messages_default"]["row_count"] >= 1
    scans = "SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables"
    before = await tx.fetchval(scans)
    estimated = {r["partition_name"]: r for r in await tx.fetch("SELECT * FROM get_messages_stats()")}
    assert await tx.fetchval(scans) == before  # no partition was scanned
    assert not estimated[partition_name(month_start(1))]["exact"]
    # ANALYZE read every row of these small tables: its estimate is the count
    for name in (partition_name(month_start(1)), "messages_default"):
        assert estimated[name]["row_count"] == counted[name]["row_count"]


async def newest_by_reference(tx, company, phone, limit):
    """The answer by definition: one ORDER BY over the whole table."""
    rows = await tx.fetch(
        "SELECT id FROM messages WHERE company_id = $1 AND phone = $2"
        " ORDER BY created_at DESC LIMIT $3",
        company, phone, limit,
    )  # fmt: skip
    return [r["id"] for r in rows]


async def test_recent_messages_are_exactly_the_newest_wherever_they_are(tx):
    """Messages in partitions old and new, in DEFAULT (months without a
    partition, far back and far ahead), some conversations shorter than the
    limit: every answer is the reference query's."""
    rng = random.Random(12)
    company = await new_company(tx)
    for months in (-40, -30, -24, -12, -6, -2, -1):
        await tx.fetch("SELECT * FROM create_messages_partition($1)", month_start(months).date())
    conversations = {f"7900000{n:04d}": rng.randint(1, 90) for n in range(12)}
    for phone, count in conversations.items():
        for _ in range(count):
            months = rng.choice([-70, -40, -35, -30, -24, -13, -12, -6, -3, -2, -1, 0, 1, 3, 80])
            moment = month_start(months) + timedelta(seconds=rng.randrange(27 * 86400))
            await add_message(tx, company, moment, phone=phone)
    assert await tx.fetchval("SELECT count(*) FROM messages_default WHERE company_id = $1", company) > 0
    for phone in conversations:
        for limit in (1, 7, 50, 1000):
            rows = await tx.fetch("SELECT id FROM get_recent_messages($1, $2, $3)", phone, company, limit)
            assert [r["id"] for r in rows] == await newest_by_reference(tx, company, phone, limit)


async def test_recent_messages_read_only_the_months_they_need(tx):
    """With messages every month for 40 months, the newest 20 come from the
    last few months: the older partitions are not even probed (the
    transaction's own statistics count each partition's index scans)."""
    company = await new_company(tx)
    for months in range(-40, 0):
        await tx.fetch("SELECT * FROM create_messages_partition($1)", month_start(months).date())
        for day in range(10):
            await add_message(tx, company, month_start(months) + timedelta(days=day))
    await tx.fetch("SELECT * FROM get_recent_messages('79001112233', $1, 20)", company)
    probed = {
        r["relname"]
        for r in await tx.fetch(
            "SELECT relname FROM pg_stat_xact_user_tables WHERE relname LIKE 'messages%'"
            " AND idx_scan > 0"
        )
    }
    assert partition_name(month_start(-1)) in probed
    assert not probed & {partition_name(month_start(m)) for m in range(-40, -4)}, sorted(probed)


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
