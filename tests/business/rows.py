"""Rows and dates for the business tests, written through raw SQL so that
PostgreSQL alone answers."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone


def month_start(months_from_now: int = 0) -> datetime:
    """The first instant (UTC) of the month ``months_from_now`` away."""
    now = datetime.now(timezone.utc)
    index = now.year * 12 + now.month - 1 + months_from_now
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


def partition_name(month: datetime) -> str:
    return f"messages_{month:%Y_%m}"


async def insert(conn, table: str, **values) -> uuid.UUID:
    columns = ", ".join(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return await conn.fetchval(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id",
        *values.values(),
    )


async def new_company(conn, name: str = "Test salon") -> uuid.UUID:
    return await insert(conn, "companies", name=name)
