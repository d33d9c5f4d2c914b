"""updated_at moves on every update, raw SQL included; audit_log refuses
every change."""

import asyncpg
import pytest

from reporting.piccolo_app import APP_CONFIG

TABLES_WITH_UPDATED_AT = sorted(
    t._meta.tablename
    for t in APP_CONFIG.table_classes
    if "updated_at" in (c._meta.name for c in t._meta.columns)
)


def test_the_tables_with_updated_at():
    assert len(TABLES_WITH_UPDATED_AT) == 12
    assert {"sync_runs", "ct_raw_snapshots", "audit_log"}.isdisjoint(TABLES_WITH_UPDATED_AT)


@pytest.mark.parametrize("table", TABLES_WITH_UPDATED_AT)
async def test_a_raw_update_sets_updated_at(tx, graph, table):
    # Even an update that tries to write an old updated_at gets the clock's.
    before = await tx.fetchval("SELECT clock_timestamp()")
    updated_at = await tx.fetchval(
        f"UPDATE {table} SET updated_at = '2000-01-01' WHERE id = $1 RETURNING updated_at",
        graph[table],
    )
    assert updated_at >= before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'rewritten' WHERE id = $1",
        "DELETE FROM audit_log WHERE id = $1",
    ],
)
async def test_audit_log_rows_cannot_change(tx, graph, statement):
    with pytest.raises(asyncpg.RestrictViolationError, match="audit_log is append-only"):
        async with tx.transaction():
            await tx.execute(statement, graph["audit_log"])
    assert await tx.fetchval("SELECT action FROM audit_log WHERE id = $1", graph["audit_log"]) == (
        "tenant.created"
    )


async def test_audit_log_cannot_be_truncated(tx, graph):
    with pytest.raises(asyncpg.RestrictViolationError, match="TRUNCATE is not allowed"):
        async with tx.transaction():
            await tx.execute("TRUNCATE audit_log")
    assert (
        await tx.fetchval("SELECT count(*) FROM audit_log WHERE id = $1", graph["audit_log"]) == 1
    )
