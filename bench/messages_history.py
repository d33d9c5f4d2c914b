"""A message history for the benchmarks, built in the server: months of
messages at a given density over a fixed set of conversations, one
``INSERT … SELECT`` per month straight into its partition. And the
functions as they landed, under another name, so that a benchmark can print
them beside the current ones from the same run."""

from __future__ import annotations

import re
from datetime import datetime, timezone

# Conversations are phones 7900 followed by 7 digits: 0 .. conversations - 1.
PHONE_SQL = "'7900' || lpad(({n})::text, 7, '0')"


def phone(n: int) -> str:
    return f"7900{n:07d}"


def month_start(months_from_now: int) -> datetime:
    now = datetime.now(timezone.utc)
    index = now.year * 12 + now.month - 1 + months_from_now
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


async def fill_month(conn, company, months_from_now: int, messages: int, conversations: int) -> None:
    """``messages`` messages spread over the month (up to now for the
    current one), each in one of ``conversations`` conversations."""
    start = month_start(months_from_now)
    end = min(month_start(months_from_now + 1), datetime.now(timezone.utc))
    await conn.fetch("SELECT * FROM create_messages_partition($1)", start.date())
    await conn.execute(
        f"""
        INSERT INTO public.messages_{start:%Y_%m}
            (id, company_id, phone, direction, status, content, created_at)
        SELECT gen_random_uuid(), $1::uuid,
               {PHONE_SQL.format(n="(random() * ($4::integer - 1))::integer")},
               CASE WHEN random() < 0.5 THEN 'incoming' ELSE 'outgoing' END, 'delivered',
               'Hello! Can I book a haircut for tomorrow at 15:00?',
               $2::timestamptz + random() * ($3::timestamptz - $2::timestamptz)
        FROM generate_series(1, $5::integer)
        """,
        company,
        start,
        end,
        conversations,
        messages,
    )


def landed(definition: str, name: str) -> str:
    """``definition`` (a ``CREATE OR REPLACE FUNCTION public.<name>``, as a
    migration wrote it) as ``public.<name>_landed``: the benchmark's own
    database gets it beside the current one."""
    created, count = re.subn(
        rf"CREATE OR REPLACE FUNCTION public\.{name}\(",
        f"CREATE FUNCTION public.{name}_landed(",
        definition,
    )
    if count != 1:
        raise ValueError(f"{name}: not one definition in the text given")
    return created
