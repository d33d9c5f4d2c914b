"""A week's report as a page or an export shows it: the week and what it
holds, read in one snapshot (a read-only REPEATABLE READ transaction), so
the parts agree with each other even while the week is being written to."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# part of the report: (table, order of its rows)
PARTS = {
    "manual": ("report_week_manual", "metric_key"),
    "lead_metrics": ("lead_metrics", "source"),
    "pipeline": ("pipeline_stage_counts", "position, stage"),
    "hot_list": ("hot_list_items", "rank, customer_name"),
}


@dataclass(frozen=True)
class WeekReport:
    week: dict  # the report_weeks row
    manual: list[dict]
    lead_metrics: list[dict]
    pipeline: list[dict]
    hot_list: list[dict]


async def read_week_report(conn, tenant_id, week_ending_date: datetime.date) -> WeekReport | None:
    """The report of the tenant's week ending on that date, or None."""
    if conn.is_in_transaction():  # the caller's snapshot, and maybe its writes
        return await _parts(conn, tenant_id, week_ending_date)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _parts(conn, tenant_id, week_ending_date)


async def _parts(conn, tenant_id, week_ending_date) -> WeekReport | None:
    week = await conn.fetchrow(
        "SELECT * FROM public.report_weeks WHERE tenant_id = $1 AND week_ending_date = $2",
        tenant_id,
        week_ending_date,
    )
    if week is None:
        return None
    parts = {}
    for name, (table, order) in PARTS.items():
        rows = await conn.fetch(
            f"SELECT * FROM public.{table} WHERE report_week_id = $1 ORDER BY {order}", week["id"]
        )
        parts[name] = [dict(row) for row in rows]
    return WeekReport(week=dict(week), **parts)
