"""The day2 app's tables filled and kept busy, for the test of the day-2
examples (``tests/platform/test_day2_paths.py``) and their bench
(``bench/day2_changes.py``): clients and messages from ``generate_series``
(one INSERT each), and what 4 writers do all day."""

from __future__ import annotations

import random

HOT = 1_000  # clients 1..HOT are the ones the writers update


def fill_sql(rows: int) -> str:
    """``rows`` clients over 100 companies, and ``rows`` messages in the
    months the partitions cover."""
    return f"""
INSERT INTO day2_companies (name) SELECT 'company ' || i FROM generate_series(1, 100) i;
INSERT INTO day2_clients (company, name, email, phone, status, visits)
SELECT 1 + i % 100, 'client ' || i, 'client' || i || '@example.com',
       '7900' || lpad(i::text, 7, '0'), 'active', i % 50
FROM generate_series(1, {rows}) i;
INSERT INTO day2_messages (phone, content, created_at)
SELECT '7900' || lpad((1 + i % {rows})::text, 7, '0'), 'fill ' || i,
       timestamptz '2026-10-01' + (i % 122) * interval '1 day' + i * interval '1 second'
FROM generate_series(1, {rows}) i;
"""


async def fill(conn, rows: int) -> None:
    await conn.execute(fill_sql(rows))
    await conn.execute("VACUUM ANALYZE day2_companies, day2_clients, day2_messages")


def writers_round(rows: int):
    """What the application does all day: a new client, a visit, a message."""

    def round(rng: random.Random) -> list[tuple[str, tuple]]:
        return [
            (
                "INSERT INTO day2_clients (company, name, email) VALUES ($1, $2, $3) RETURNING id",
                (rng.randint(1, 100), "walk-in", f"w{rng.getrandbits(64):x}@example.com"),
            ),
            ("UPDATE day2_clients SET visits = visits + 1 WHERE id = $1", (rng.randint(1, HOT),)),
            (
                "INSERT INTO day2_messages (phone, content) VALUES ($1, 'writer') RETURNING id",
                (f"7900{rng.randint(1, rows):07d}",),
            ),
        ]

    return round
