"""What the table classes do for a user: open a report week, register and
find a user by email, append to the audit log."""

import asyncio
import datetime
import re
import uuid

import asyncpg
import pytest

from reporting.enums import ReportWeekStatus
from reporting.tables import (
    AuditLog,
    DuplicateEmail,
    InvalidEmail,
    ReportWeek,
    Tenant,
    UnknownTenant,
    User,
)

WEEK = datetime.date(2026, 11, 22)


@pytest.fixture
async def tenant(migrated) -> Tenant:
    tenant = Tenant(name="Acme Plumbing", slug=f"acme-{uuid.uuid4().hex[:12]}")
    await tenant.save()
    return tenant


def unique_email(local: str = "Pat") -> str:
    return f"{local}.{uuid.uuid4().hex[:8]}@Example.com"


async def test_opening_a_week_twice_gives_the_same_draft(tenant):
    first = await ReportWeek.open(tenant.id, WEEK)
    second = await ReportWeek.open(tenant.id, WEEK)
    assert first.id == second.id
    assert first.status == ReportWeekStatus.draft
    assert first.updated_at == second.updated_at
    assert await ReportWeek.count().where(ReportWeek.tenant == tenant.id) == 1


async def test_concurrent_opens_make_one_week(tenant):
    weeks = await asyncio.gather(*[ReportWeek.open(tenant.id, WEEK) for _ in range(5)])
    assert len({week.id for week in weeks}) == 1
    assert await ReportWeek.count().where(ReportWeek.tenant == tenant.id) == 1


async def test_weeks_of_other_dates_and_tenants_are_their_own(tenant):
    other = Tenant(name="Beta HVAC", slug=f"beta-{uuid.uuid4().hex[:12]}")
    await other.save()
    ids = {
        (await ReportWeek.open(t, d)).id
        for t in (tenant.id, other.id)
        for d in (WEEK, WEEK + datetime.timedelta(days=7))
    }
    assert len(ids) == 4


async def test_opening_a_week_of_an_unknown_tenant_names_it(migrated):
    missing = uuid.uuid4()
    with pytest.raises(UnknownTenant, match=rf"report_weeks\.tenant_id = UUID\('{missing}'\) rejected: names no row"):
        await ReportWeek.open(missing, WEEK)


@pytest.mark.parametrize("bad", [datetime.datetime(2026, 11, 22, 12), "2026-11-22"])
async def test_a_week_ends_on_a_date(tenant, bad):
    with pytest.raises(TypeError, match="report_weeks.week_ending_date must be a date"):
        await ReportWeek.open(tenant.id, bad)
    assert await ReportWeek.count().where(ReportWeek.tenant == tenant.id) == 0


async def test_a_user_is_found_by_email_in_any_case(migrated):
    email = unique_email()
    user = await User.register(email, name="Pat")
    assert (await User.by_email(email.upper())).id == user.id
    assert (await User.by_email(f"  {email.lower()} ")).email == email
    assert await User.by_email(unique_email()) is None


async def test_registering_a_taken_email_in_another_case_is_refused(migrated):
    email = unique_email()
    await User.register(email)
    with pytest.raises(DuplicateEmail, match=r"users\.email = .* rejected: already taken"):
        await User.register(email.swapcase())
    assert await User.count().where(User.email.ilike(email)) == 1


@pytest.mark.parametrize("bad", ["pat", "pat@", "pat @example.com"])
async def test_registering_something_that_is_not_an_email_names_it(migrated, bad):
    with pytest.raises(InvalidEmail, match=re.escape(f"users.email = {bad!r} rejected: not an email address")):
        await User.register(bad)
    assert await User.count().where(User.email == bad) == 0


@pytest.mark.parametrize("column", ["action", "entity_type"])
async def test_an_audit_entry_needs_an_action_and_an_entity_type(migrated, column):
    values = {"action": "probe.done", "entity_type": "probe", column: "  "}
    with pytest.raises(ValueError, match=f"audit_log.{column} = '  ' rejected: must be a non-blank string"):
        await AuditLog.record(**values)


async def test_an_audit_entry_is_appended_with_its_diff(tenant):
    actor = await User.register(unique_email())
    entry = await AuditLog.record(
        "report_week.published",
        "report_week",
        uuid.uuid4(),
        tenant_id=tenant.id,
        actor_user_id=actor.id,
        diff={"status": ["draft", "published"]},
    )
    stored = await AuditLog.select(AuditLog.diff, AuditLog.action).where(AuditLog.id == entry.id)
    assert stored == [
        {"diff": '{"status": ["draft", "published"]}', "action": "report_week.published"}
    ]


@pytest.mark.parametrize(
    "diff,message",
    [
        (["status"], "audit_log.diff must be a dict"),
        ({"at": datetime.date(2026, 1, 1)}, "audit_log.diff must be JSON-serializable"),
    ],
)
async def test_an_audit_diff_must_be_a_json_object(migrated, diff, message):
    action = f"probe.{uuid.uuid4().hex}"
    with pytest.raises(TypeError, match=message):
        await AuditLog.record(action, "probe", diff=diff)
    assert await AuditLog.count().where(AuditLog.action == action) == 0


async def test_an_audit_entry_cannot_be_edited_through_the_orm(migrated):
    entry = await AuditLog.record("probe.done", "probe")
    entry.action = "probe.undone"
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await entry.save()
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await entry.remove()
