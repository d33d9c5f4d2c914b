"""The admin's read-only lists of the two big tables, at scale: messages
(monthly partitions, 12 months) and the ServiceTitan jobs cache. Each page
an operator can ask for (the first, the 1000th, the last; one company's,
one tenant's; a phone exactly and by its first digits) is timed through the
admin itself (its ASGI app, logged in: the page as the browser gets it),
beside the same page's SQL run alone on the same data, and beside the
OFFSET query the admin ran before (issue 24.7). Medians of --rounds runs.

    python -m bench.admin_lists --messages 1000000 --jobs 200000
    python -m bench.admin_lists --messages 10000000 --jobs 2000000   # 10x: flat?

The messages lists read the two indexes of the business migration
``messages_admin_list_indexes``, ``(created_at DESC, id DESC)`` and
``(phone COLLATE "C", created_at DESC, id DESC)``; the partitions made
here after it get theirs from the parent's indexes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import statistics
import time
from urllib.parse import quote

from bench.database import throwaway_database

MONTHS = 12
COMPANIES = 50
TENANTS = 20


async def fill(conn, messages: int, jobs: int) -> None:
    started = time.perf_counter()
    await conn.execute(
        "SELECT create_messages_partition((date_trunc('month', now())"
        " - n * interval '1 month')::date) FROM generate_series(1, $1) AS n",
        MONTHS,
    )
    companies = [
        r["id"]
        for r in await conn.fetch(
            "INSERT INTO companies (name) SELECT 'Bench salon ' || n"
            " FROM generate_series(1, $1) AS n RETURNING id",
            COMPANIES,
        )
    ]
    # One message every few seconds over the last 12 months, from a million phones.
    await conn.execute(
        """
        INSERT INTO messages (company_id, phone, direction, content, created_at)
        SELECT ($2::uuid[])[1 + n % $3], '7' || lpad(((n::bigint * 7919) % 1000000000)::text, 10, '0'),
               CASE WHEN n % 2 = 0 THEN 'incoming' ELSE 'outgoing' END,
               'message ' || n,
               now() - (n::float8 / $1) * interval '360 days'
        FROM generate_series(1, $1) AS n
        """,
        messages,
        companies,
        COMPANIES,
    )
    await conn.execute(
        """
        INSERT INTO raw.st_jobs (row_id, tenant_id, id, job_number, job_status, full_data,
                                 modified_on, synced_at)
        SELECT gen_random_uuid(), 1000 + n % $2, n, 'J-' || n, 'Completed',
               jsonb_build_object('id', n, 'jobNumber', 'J-' || n),
               now() - n * interval '1 second', now() - n * interval '1 second'
        FROM generate_series(1, $1) AS n
        """,
        jobs,
        TENANTS,
    )
    await conn.execute("ANALYZE messages; ANALYZE raw.st_jobs")
    print(
        f"filled {messages:,} messages and {jobs:,} jobs in {time.perf_counter() - started:.0f} s"
    )


async def median_ms(call, rounds: int) -> float:
    await call()  # warm: plans, caches
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def mark_at(conn, table: str, order: str, columns: str, offset: int, where: str = "") -> str:
    """The page mark of the row ``offset`` rows into the order (untimed)."""
    row = await conn.fetchrow(
        f"SELECT {columns} FROM {table} {where} ORDER BY {order} OFFSET $1 LIMIT 1", offset
    )
    return ",".join(str(value) for value in row.values())


async def cases(conn, messages: int, jobs: int) -> list[tuple[str, str, str, str]]:
    """(what, the admin's page (None: a part of every page), its SQL alone,
    the query the admin ran before: its old order, by OFFSET)."""
    company = await conn.fetchval("SELECT id FROM companies ORDER BY name LIMIT 1")
    phone = await conn.fetchval("SELECT phone FROM messages ORDER BY created_at DESC LIMIT 1")
    newest = "ORDER BY created_at DESC, id DESC LIMIT 51"
    jobs_newest = "ORDER BY synced_at DESC, row_id DESC LIMIT 51"
    # What the admin asked before: its order then, by OFFSET.
    old_messages = "ORDER BY created_at DESC LIMIT 50"
    old_jobs = "ORDER BY synced_at DESC, modified_on DESC LIMIT 50"
    # Page 1000 (or the one before the last of a smaller table).
    m_offset, j_offset = min(999 * 50, messages - 100), min(999 * 50, jobs - 100)
    m_mark = await mark_at(
        conn, "messages", "created_at DESC, id DESC", "created_at, id", m_offset - 1
    )
    j_mark = await mark_at(
        conn, "raw.st_jobs", "synced_at DESC, row_id DESC", "synced_at, row_id", j_offset - 1
    )
    m_cursor = m_mark.split(",")
    j_cursor = j_mark.split(",")
    messages_page = "/inspect/tables/messages/"
    jobs_page = "/inspect/tables/st_jobs/"
    return [
        (
            "messages, first page",
            messages_page,
            f"SELECT * FROM messages {newest}",
            f"SELECT * FROM messages {old_messages}",
        ),
        (
            "messages, page 1000",
            f"{messages_page}?after={quote(m_mark)}",
            f"SELECT * FROM messages WHERE (created_at, id) < ('{m_cursor[0]}', '{m_cursor[1]}')"
            f" {newest}",
            f"SELECT * FROM messages {old_messages} OFFSET {m_offset}",
        ),
        (
            "messages, last page",
            f"{messages_page}?last=yes",
            "SELECT * FROM messages ORDER BY created_at, id LIMIT 51",
            f"SELECT * FROM messages {old_messages} OFFSET {max(messages - 50, 0)}",
        ),
        (
            "messages, one company",
            f"{messages_page}?company_id={company}",
            f"SELECT * FROM messages WHERE company_id = '{company}' {newest}",
            f"SELECT * FROM messages WHERE company_id = '{company}' {old_messages}",
        ),
        (
            "messages, a phone",
            f"{messages_page}?phone={phone}",
            f"SELECT * FROM messages WHERE phone COLLATE \"C\" = '{phone}' {newest}",
            f"SELECT * FROM messages WHERE phone ILIKE '%{phone}%' {old_messages}",
        ),
        (
            "messages, phones starting",
            f"{messages_page}?phone={phone[:7]}*",
            f"SELECT * FROM messages WHERE phone COLLATE \"C\" LIKE '{phone[:7]}%'"
            ' ORDER BY phone COLLATE "C", created_at DESC, id DESC LIMIT 51',
            f"SELECT * FROM messages WHERE phone ILIKE '%{phone[:7]}%' {old_messages}",
        ),
        (
            "messages, count (in every page)",
            None,
            "SELECT sum(greatest(c.reltuples, 0))::bigint FROM pg_class c"
            " WHERE c.oid = 'messages'::regclass"
            " OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'messages'::regclass)",
            "SELECT count(*) FROM messages",
        ),
        (
            "st_jobs, first page",
            jobs_page,
            f"SELECT * FROM raw.st_jobs {jobs_newest}",
            f"SELECT * FROM raw.st_jobs {old_jobs}",
        ),
        (
            "st_jobs, page 1000",
            f"{jobs_page}?after={quote(j_mark)}",
            f"SELECT * FROM raw.st_jobs WHERE (synced_at, row_id) < ('{j_cursor[0]}',"
            f" '{j_cursor[1]}') {jobs_newest}",
            f"SELECT * FROM raw.st_jobs {old_jobs} OFFSET {j_offset}",
        ),
        (
            "st_jobs, last page",
            f"{jobs_page}?last=yes",
            "SELECT * FROM raw.st_jobs ORDER BY synced_at, row_id LIMIT 51",
            f"SELECT * FROM raw.st_jobs {old_jobs} OFFSET {max(jobs - 50, 0)}",
        ),
        (
            "st_jobs, one tenant",
            f"{jobs_page}?tenant_id=1001",
            f"SELECT * FROM raw.st_jobs WHERE tenant_id = 1001 {jobs_newest}",
            f"SELECT * FROM raw.st_jobs WHERE tenant_id = 1001 {old_jobs}",
        ),
    ]


async def run(args: argparse.Namespace) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    import piccolo_conf
    from admin.app import create_app
    from platform_db.database.connection import connection
    from business.tables import Company
    from tests.admin.support import asgi_client, create_admin_user, log_in

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    await piccolo_conf.DB.start_connection_pool(min_size=2, max_size=4)
    try:
        async with connection(Company) as conn:
            await fill(conn, args.messages, args.jobs)
            measured = await cases(conn, args.messages, args.jobs)
            app = create_app()
            async with asgi_client(app) as client:
                assert (await log_in(client, await create_admin_user())).status_code == 200
                print(f"\n{'':28}{'admin page':>12}{'its SQL':>10}{'ratio':>7}{'before':>10}")
                for what, url, sql, before in measured:

                    async def page(url=url):
                        response = await client.get(url)
                        assert response.status_code == 200, (
                            url,
                            response.text.split('refused">')[-1][:300],
                        )

                    admin_ms = await median_ms(page, args.rounds) if url else float("nan")
                    sql_ms = await median_ms(lambda sql=sql: conn.fetch(sql), args.rounds)
                    before_ms = await median_ms(lambda b=before: conn.fetch(b), args.rounds)
                    print(
                        f"{what:28}{admin_ms:10.1f}ms{sql_ms:8.1f}ms{admin_ms / sql_ms:6.1f}x"
                        f"{before_ms:8.1f}ms"
                    )
    finally:
        await piccolo_conf.DB.close_connection_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with throwaway_database("bench_admin_lists"):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
