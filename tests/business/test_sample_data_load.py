"""How the sample data is loaded, seen from another session: the partitions
it needs are made (and committed) before the load, so the load's long
transaction holds no lock on ``messages_default`` that readers of messages
would wait for."""

from datetime import date

import pytest

from business.sample_data import SAMPLE_YCLIENTS_COMPANY_ID, SampleSize, build, load
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import connect, run_sync

# A day whose months have no partition in the test database, so the load
# has to create them.
FAR_DAY = date(2041, 6, 15)


async def locks_on_default_held_by_others() -> set[str]:
    conn = await connect(TEST_DATABASE_URL)
    try:
        rows = await conn.fetch(
            "SELECT mode FROM pg_locks WHERE relation = 'public.messages_default'::regclass "
            "AND granted AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return {row["mode"] for row in rows}


@pytest.fixture
async def far_sample(conn):
    """No sample company before; afterwards its rows and the partitions of
    its months are gone again."""
    await conn.execute("DELETE FROM companies WHERE yclients_company_id = $1", SAMPLE_YCLIENTS_COMPANY_ID)
    yield
    await conn.execute("DELETE FROM companies WHERE yclients_company_id = $1", SAMPLE_YCLIENTS_COMPANY_ID)
    for name in await conn.fetch(
        "SELECT inhrelid::regclass::text AS name FROM pg_inherits "
        "WHERE inhparent = 'public.messages'::regclass AND inhrelid::regclass::text LIKE 'messages_204%'"
    ):
        await conn.execute(f"DROP TABLE {name['name']}")


async def test_the_load_holds_no_lock_on_the_default_partition(far_sample, conn):
    data = build(4, SampleSize(clients=30, bookings=3, dialog_contexts=3, messages=400), FAR_DAY)
    seen: list[set[str]] = []

    def look(rows: int) -> None:
        # From another thread and connection, while the load's transaction is open.
        seen.append(run_sync(locks_on_default_held_by_others()))

    await load(data, progress=look)

    assert len(seen) >= 5
    assert all("AccessExclusiveLock" not in modes for modes in seen), seen
    months = await conn.fetchval(
        "SELECT count(DISTINCT m.tableoid) FROM messages m JOIN companies c ON c.id = m.company_id "
        "WHERE c.yclients_company_id = $1 AND m.tableoid <> 'messages_default'::regclass",
        SAMPLE_YCLIENTS_COMPANY_ID,
    )
    assert months >= 3
