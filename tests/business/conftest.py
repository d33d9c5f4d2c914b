"""Fixtures for the business tests: a transaction that is rolled back (DDL
included, so partitions made or dropped in a test vanish with it), and a
graph of one row in every business table."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.business.rows import insert, new_company


@pytest.fixture
async def graph(tx):
    """One row in every business table, all owned by one company: ids by table."""
    now = datetime.now(timezone.utc)
    company = await new_company(tx)
    ids = {"companies": company}
    ids["clients"] = await insert(tx, "clients", company_id=company, phone="79001112233")
    ids["services"] = await insert(tx, "services", company_id=company, title="Haircut")
    ids["staff"] = await insert(tx, "staff", company_id=company, name="Anna")
    ids["staff_schedules"] = await insert(
        tx, "staff_schedules", company_id=company, staff_id=ids["staff"], date=now.date(),
        is_working=False,
    )  # fmt: skip
    ids["bookings"] = await insert(
        tx, "bookings", company_id=company, client_id=ids["clients"],
        service_id=ids["services"], staff_id=ids["staff"], appointment_at=now,
    )  # fmt: skip
    ids["reminders"] = await insert(
        tx, "reminders", company_id=company, booking_id=ids["bookings"],
        reminder_type="day_before", scheduled_for=now,
    )  # fmt: skip
    ids["appointments_cache"] = await insert(
        tx, "appointments_cache", company_id=company, yclients_record_id="1", expires_at=now
    )
    ids["dialog_contexts"] = await insert(
        tx, "dialog_contexts", company_id=company, phone="79001112233",
        client_id=ids["clients"], expires_at=now,
    )  # fmt: skip
    ids["sync_status"] = await insert(tx, "sync_status", company_id=company, entity_type="clients")
    ids["whatsapp_auth_keys"] = await insert(
        tx, "whatsapp_auth_keys", company_id=company, key_type="session", key_id="a",
        value="{}",
    )  # fmt: skip
    ids["messages"] = await insert(
        tx, "messages", company_id=company, phone="79001112233", direction="incoming"
    )
    return ids
