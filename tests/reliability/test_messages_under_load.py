"""8 writers insert at least 10,000 messages each through
``Message.insert_bulk`` while partition maintenance creates and drops
partitions in a loop (the writers go on until it has dropped 3): every
acknowledged message is there afterwards (count and checksum), and neither
side meets an error or a deadlock."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import time
from datetime import timedelta, timezone

import pytest

from business.tables import Company, Message
from tests.business.rows import month_start, partition_name
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import connect

WRITERS = 8
MESSAGES_PER_WRITER = 10_000
# Statements of a few milliseconds with a pause between them, as an
# application writes: maintenance takes its locks in tries of 20 ms and gives
# way to statements longer than that (business.partitions).
BATCH = 100
PAUSE = 0.005
# Rows fall in months that have no partition yet (DEFAULT, moved when their
# month is created) as well as in existing ones; all within retention.
MONTHS = range(-20, 31)
RETENTION_MONTHS = 24
# Every round makes one empty partition past retention, for maintenance to drop.
FIRST_EXPIRED_MONTH = -30
# Drops the loop must have made while the writers ran; they stop writing
# once it has, or fail past 10 times their share.
DROPS_WANTED = 3


def checksum(rows) -> int:
    """Order-free digest of (content, created_at) pairs, as SQL computes it."""
    return sum(
        int(hashlib.md5(f"{content}|{created_at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S.%f}".encode()).hexdigest()[:15], 16)
        for content, created_at in rows
    )


SQL_CHECKSUM = """
SELECT count(*) AS rows,
       count(DISTINCT content) AS distinct_contents,
       coalesce(sum(('x' || substr(md5(
           content || '|' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
       ), 1, 15))::bit(60)::bigint), 0) AS checksum
FROM messages
WHERE company_id = $1
"""


def batches(writer: int, company_id, rng: random.Random):
    for start in itertools.count(0, BATCH):
        yield [
            {
                "company_id": company_id,
                "phone": f"7900{writer:03d}{n % 1000:04d}",
                "direction": "incoming" if n % 2 else "outgoing",
                "content": f"writer {writer} message {n}",
                "created_at": month_start(rng.choice(MONTHS))
                + timedelta(seconds=rng.randrange(27 * 86400), microseconds=rng.randrange(10**6)),
            }
            for n in range(start, start + BATCH)
        ]


async def write(writer: int, company_id, acknowledged: list, enough: asyncio.Event) -> None:
    rng = random.Random(writer)
    for batch in batches(writer, company_id, rng):
        if len(acknowledged) >= MESSAGES_PER_WRITER and enough.is_set():
            return
        assert len(acknowledged) < 10 * MESSAGES_PER_WRITER, (
            f"maintenance dropped fewer than {DROPS_WANTED} partitions meanwhile"
        )
        stored = await Message.insert_bulk(batch)
        assert stored == len(batch)
        acknowledged.extend((m["content"], m["created_at"]) for m in batch)
        await asyncio.sleep(PAUSE)


async def maintain_on(conn, months_ahead: int, retention_months: int) -> list[dict]:
    """What ``business.partitions`` does, on this connection: the plan, then
    each step in a transaction of its own."""
    done = []
    plan = await conn.fetch(
        "SELECT * FROM messages_partition_plan($1, $2)", months_ahead, retention_months
    )
    for step in plan:
        if step["action"] == "create":
            made = await conn.fetchrow(
                "SELECT * FROM create_messages_partition($1)", step["range_start"].date()
            )
            if made["created"]:
                done.append({"action": "created", "partition_name": made["partition_name"],
                             "row_count": made["rows_moved"]})  # fmt: skip
        elif step["action"] == "drop":
            dropped = await conn.fetchrow(
                "SELECT * FROM drop_messages_partition($1, $2)",
                step["partition_name"],
                retention_months,
            )
            done.append(dict(dropped))
        else:
            await conn.fetchval("SELECT purge_messages_default($1)", retention_months)
    return done


async def maintain(conn, writing: asyncio.Event, enough: asyncio.Event) -> list[dict]:
    """Partition maintenance in a loop until the writers are done: each round
    creates a partition past retention and has maintenance drop it, while
    the months ahead grow by one (moving the DEFAULT rows of that month)."""
    actions = []
    round_ = 0
    while writing.is_set():
        if sum(a["action"] == "dropped" for a in actions) >= DROPS_WANTED:
            enough.set()
        expired = month_start(FIRST_EXPIRED_MONTH - round_).date()
        made = await conn.fetchrow("SELECT * FROM create_messages_partition($1)", expired)
        if made["created"]:
            actions.append({"action": "created", "partition_name": made["partition_name"], "row_count": 0})
        actions.extend(await maintain_on(conn, min(5 + round_, MONTHS.stop), RETENTION_MONTHS))
        round_ += 1
        await asyncio.sleep(0.02)
    return actions


async def partitions(conn) -> set[str]:
    rows = await conn.fetch(
        "SELECT inhrelid::regclass::text AS name FROM pg_inherits "
        "WHERE inhparent = 'public.messages'::regclass"
    )
    return {r["name"] for r in rows}


@pytest.fixture
async def partitions_restored(conn):
    """Partitions a test made are dropped afterwards once empty, so later
    tests see the partitions as before."""
    before = await partitions(conn)
    yield
    for name in sorted(await partitions(conn) - before):
        if await conn.fetchval(f"SELECT NOT EXISTS (SELECT FROM {name})"):
            await conn.execute(f"DROP TABLE {name}")


@pytest.fixture
async def load_company(partitions_restored):
    """A company of its own, deleted with its messages afterwards."""
    company = await Company.create(name="Load test salon")
    yield company.id
    await Company.delete().where(Company.id == company.id)


async def test_no_acknowledged_message_is_lost_while_partitions_change(conn, load_company):
    acknowledged: list[list] = [[] for _ in range(WRITERS)]
    writing, enough = asyncio.Event(), asyncio.Event()
    writing.set()
    started = time.perf_counter()

    maintaining = asyncio.ensure_future(maintain(conn, writing, enough))
    try:
        await asyncio.gather(
            *(write(w, load_company, acknowledged[w], enough) for w in range(WRITERS))
        )
    finally:
        writing.clear()
        actions = await maintaining
    elapsed = time.perf_counter() - started

    rows = [row for writer in acknowledged for row in writer]
    assert len(rows) >= WRITERS * MESSAGES_PER_WRITER
    stored = await conn.fetchrow(SQL_CHECKSUM, load_company)
    assert stored["rows"] == len(rows)
    assert stored["distinct_contents"] == len(rows)
    assert stored["checksum"] == checksum(rows)

    # The loop really changed the partitions under the writers.
    created = [a for a in actions if a["action"] == "created"]
    dropped = [a for a in actions if a["action"] == "dropped"]
    moved = sum(a["row_count"] for a in created)
    assert len(dropped) >= DROPS_WANTED and len(created) >= 2 * len(dropped)
    assert moved > 0, "no message was moved out of DEFAULT while writers ran"
    assert {a["partition_name"] for a in dropped} <= {
        partition_name(month_start(FIRST_EXPIRED_MONTH - r)) for r in range(len(dropped))
    }
    print(
        f"\nmessages under load: {len(rows)} written, {len(rows) - stored['rows']} lost, "
        f"{elapsed:.1f} s; partitions created {len(created)} (moving {moved} rows), "
        f"dropped {len(dropped)}"
    )


async def waiting_for_a_lock(conn, pid: int) -> None:
    for _ in range(500):
        if await conn.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")


async def test_creating_a_partition_locks_the_parent_before_default(conn, partitions_restored):
    """A session that holds the parent and then needs DEFAULT (as ``ANALYZE
    messages`` or ``CREATE INDEX ON messages`` do) and a partition being
    created both finish: neither holds what the other waits for."""
    creator = await connect(TEST_DATABASE_URL)
    try:
        month = month_start(40)
        async with conn.transaction():
            # ONLY: LOCK TABLE would otherwise lock every partition too.
            await conn.execute("LOCK TABLE ONLY messages IN SHARE UPDATE EXCLUSIVE MODE")
            creating = asyncio.ensure_future(
                creator.fetchrow("SELECT * FROM create_messages_partition($1)", month.date())
            )
            await waiting_for_a_lock(conn, creator.get_server_pid())
            await conn.execute("LOCK TABLE messages_default IN SHARE UPDATE EXCLUSIVE MODE")
        made = await creating
        assert made["created"] and made["partition_name"] == partition_name(month)
    finally:
        await creator.close()


async def test_a_writer_that_read_messages_and_a_partition_being_created_both_finish(
    conn, load_company
):
    """A transaction that has read messages (holding ACCESS SHARE on every
    partition, DEFAULT included) and then inserts a message routed to
    DEFAULT, while that message's month gets its partition: both commit, and
    the message is in the new partition. Were the DEFAULT partition locked
    EXCLUSIVE and then upgraded to ACCESS EXCLUSIVE for the ATTACH, each
    would wait for the other until the deadlock detector aborted one."""
    creator = await connect(TEST_DATABASE_URL)
    month = month_start(41)
    try:
        async with conn.transaction():
            await conn.fetch(
                "SELECT * FROM get_recent_messages($1, $2, 50)", "79001112233", load_company
            )
            creating = asyncio.ensure_future(
                creator.fetchrow("SELECT * FROM create_messages_partition($1)", month.date())
            )
            await waiting_for_a_lock(conn, creator.get_server_pid())
            message = await conn.fetchval(
                "INSERT INTO messages (company_id, phone, direction, created_at) "
                "VALUES ($1, '79001112233', 'incoming', $2) RETURNING id",
                load_company,
                month + timedelta(days=2),
            )
        made = await creating
    finally:
        await creator.close()
    assert (made["partition_name"], made["created"], made["rows_moved"]) == (
        partition_name(month), True, 1
    )
    assert await conn.fetchval(
        "SELECT tableoid::regclass::text FROM messages WHERE id = $1", message
    ) == partition_name(month)


async def test_an_insert_under_way_while_its_month_gets_a_partition_still_lands(
    conn, load_company
):
    """An INSERT routes its rows with the partitions it saw when it started:
    a month attached meanwhile makes a row of that month fail on DEFAULT's
    new constraint ("violates partition constraint", PostgreSQL's isolation
    test partition-concurrent-attach), unless the creation waits for
    statements that write. Here the INSERT sleeps before producing its row."""
    creator = await connect(TEST_DATABASE_URL)
    month = month_start(42)
    try:
        inserting = asyncio.ensure_future(
            conn.fetchval(
                "INSERT INTO messages (company_id, phone, direction, created_at) "
                "SELECT $1, '79001112233', 'incoming', $2 FROM pg_sleep(1) RETURNING id",
                load_company,
                month + timedelta(days=2),
            )
        )
        for _ in range(500):
            if await creator.fetchval(
                "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                " AND query LIKE 'INSERT INTO messages%')"
            ):
                break
            await asyncio.sleep(0.01)
        made = await creator.fetchrow("SELECT * FROM create_messages_partition($1)", month.date())
        message = await inserting
    finally:
        await creator.close()
    assert (made["created"], made["rows_moved"]) == (True, 1)
    assert await conn.fetchval(
        "SELECT tableoid::regclass::text FROM messages WHERE id = $1", message
    ) == partition_name(month)
