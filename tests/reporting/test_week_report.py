"""``ReportWeek.report``: a week and what it holds in one snapshot, from
the primary or, with ``stale_ok``, from a read replica (a real hot standby:
tests/support/replica_fixtures.py)."""

import dataclasses
import datetime
import uuid

import pytest

from reporting.tables import (
    HotListItem,
    LeadMetric,
    PipelineStageCount,
    ReportWeek,
    ReportWeekManual,
    Tenant,
)
from tests.support.replica_fixtures import (  # noqa: F401  (fixtures)
    DATABASE,
    primary,
    replicated,
)

WEEK = datetime.date(2026, 11, 22)


async def filled_week() -> ReportWeek:
    tenant = await Tenant.create(name="Acme Plumbing", slug=f"acme-{uuid.uuid4().hex[:12]}")
    week = await ReportWeek.open(tenant.id, WEEK)
    for source, leads in (("referral", 4), ("google_ads", 9)):
        await LeadMetric.create(report_week=week.id, source=source, leads=leads)
    for position, stage in enumerate(("new", "quoted", "won")):
        await PipelineStageCount.create(report_week=week.id, stage=stage, position=position)
    await HotListItem.create(report_week=week.id, rank=1, customer_name="Pat")
    await ReportWeekManual.create(report_week=week.id, metric_key="offline_leads", value=3)
    return week


async def test_a_week_is_read_with_its_parts_in_order(migrated):
    week = await filled_week()
    report = await ReportWeek.report(week.tenant, WEEK)
    assert report.week["id"] == week.id
    assert [m["source"] for m in report.lead_metrics] == ["google_ads", "referral"]
    assert [p["stage"] for p in report.pipeline] == ["new", "quoted", "won"]
    assert [h["customer_name"] for h in report.hot_list] == ["Pat"]
    assert [m["metric_key"] for m in report.manual] == ["offline_leads"]
    assert await ReportWeek.report(week.tenant, WEEK + datetime.timedelta(days=7)) is None
    with pytest.raises(TypeError, match="week_ending_date must be a date"):
        await ReportWeek.report(week.tenant, "2026-11-22")


async def test_a_stale_report_comes_from_the_replica_and_a_fresh_one_from_the_primary(
    replicated, standby, primary
):
    """Replay paused on the standby: a metric written since is missing from
    the report read with stale_ok (the standby answered), present in the
    one read without; once replay resumes the standby has it too."""
    week = await filled_week()
    await standby.catch_up(primary, DATABASE)
    router = replicated.replicas
    previous = router.settings
    router.settings = dataclasses.replace(previous, max_lag=60.0)
    conn = await standby.connect(DATABASE)
    try:
        await router.measure_all()
        await conn.execute("SELECT pg_wal_replay_pause()")
        await LeadMetric.create(report_week=week.id, source="written_while_paused", leads=1)
        stale = await ReportWeek.report(week.tenant, WEEK, stale_ok=True)
        fresh = await ReportWeek.report(week.tenant, WEEK)
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()
        router.settings = previous
    assert [m["source"] for m in stale.lead_metrics] == ["google_ads", "referral"]
    assert "written_while_paused" in [m["source"] for m in fresh.lead_metrics]
    await standby.catch_up(primary, DATABASE)
    caught_up = await ReportWeek.report(week.tenant, WEEK, stale_ok=True)
    assert "written_while_paused" in [m["source"] for m in caught_up.lead_metrics]
