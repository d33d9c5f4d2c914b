"""The business reads that may be stale, on a real hot standby
(tests/support/standby.py): ``Message.recent(stale_ok=True)`` and the exact
statistics are answered there; the default ``recent``, the estimated
statistics and every write stay on the primary. Which server ran a call is
read from the standby's statement log (``log_statement = all``)."""

from __future__ import annotations

import uuid

from business.maintenance import database_stats, whatsapp_auth_stats
from business.tables import Company, Message
from tests.support.replica_fixtures import (  # noqa: F401  (fixtures)
    DATABASE,
    primary,
    replicated,
)


async def _ran_on_standby(standby, call) -> tuple[object, str]:
    before = len(standby.statements_logged())
    result = await call()
    return result, standby.statements_logged()[before:]


async def test_recent_messages_read_the_standby_only_when_the_caller_allows_it(
    replicated, standby, primary
):
    company = await Company.create(name=f"Replica salon {uuid.uuid4().hex[:6]}")
    phone = "79005550101"
    await Message.insert_bulk(
        [{"company_id": company.id, "phone": phone, "direction": "incoming", "content": "hi"}]
    )
    await standby.catch_up(primary, DATABASE)
    await replicated.replicas.measure_all()

    fresh, reached = await _ran_on_standby(standby, lambda: Message.recent(phone, company.id))
    assert [m["content"] for m in fresh] == ["hi"]
    assert "get_recent_messages" not in reached

    stale, reached = await _ran_on_standby(
        standby, lambda: Message.recent(phone, company.id, stale_ok=True)
    )
    assert stale == fresh
    assert "get_recent_messages" in reached


async def test_exact_statistics_read_the_standby_and_estimates_the_primary(
    replicated, standby, primary
):
    await standby.catch_up(primary, DATABASE)
    await replicated.replicas.measure_all()
    calls = {
        "get_messages_stats": (Message.partition_stats, True),
        "get_database_stats": (database_stats, True),
    }
    for function, (call, exact) in calls.items():
        _, reached = await _ran_on_standby(standby, lambda: call(exact=False))
        assert function not in reached, f"{function}: the estimates left the primary"
        rows, reached = await _ran_on_standby(standby, lambda: call(exact=exact))
        assert rows and function in reached, f"{function}: the exact counts stayed on the primary"
    _, reached = await _ran_on_standby(standby, whatsapp_auth_stats)
    assert "get_whatsapp_auth_stats" in reached
