"""The messages_partitioned migration keeps the rows in both directions."""

from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards

from business.piccolo_migrations.business_2026_11_22t04_53_25_messages_partitioned import (
    ID as PARTITIONED,
)
from tests.business.rows import insert, month_start, new_company, partition_name
from tests.conftest import SERVER_URL
from tests.support.databases import connect, create_database, drop_database, piccolo_on


async def test_messages_survive_backwards_and_forwards():
    url = create_database(SERVER_URL, "test_messages_migration")
    try:
        with piccolo_on(url):
            # business alone: reversing it under the apps that depend on it is refused
            assert (await run_forwards("business")).success
            conn = await connect(url)
            try:
                company = await new_company(conn)
                for months in (-1, 0, 2):
                    await insert(
                        conn, "messages", company_id=company, phone="79001112233",
                        direction="incoming", created_at=month_start(months),
                    )  # fmt: skip
                assert (await run_backwards("business", PARTITIONED, auto_agree=True)).success
                kind = await conn.fetchval(
                    "SELECT relkind::text FROM pg_class WHERE relname = 'messages'"
                )
                assert kind == "r"
                assert await conn.fetchval("SELECT count(*) FROM messages") == 3

                assert (await run_forwards("business")).success
                rows = await conn.fetch(
                    "SELECT tableoid::regclass::text AS part FROM messages ORDER BY created_at"
                )
                # last month has no partition after a fresh forwards: DEFAULT keeps it
                assert [r["part"] for r in rows] == [
                    "messages_default",
                    partition_name(month_start(0)),
                    partition_name(month_start(2)),
                ]
            finally:
                await conn.close()
    finally:
        drop_database(url)
