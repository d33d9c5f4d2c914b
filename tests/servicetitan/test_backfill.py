"""A promoted column added after rows were cached (or a parser fixed) never
reaches them through a re-sync, which never parses an unchanged record
again: ``servicetitan.cache.backfill.backfill_promoted`` derives it from
``full_data``, as README's snippet runs it, in batches that commit, by
compare-and-set, and only where the value differs."""

import ast
import json
import re
from pathlib import Path

import pytest

from servicetitan.cache.backfill import Backfill, BackfillResult, backfill_promoted
from servicetitan.cache.raw_tables import StJob
from servicetitan.cache.records import layout_for
from tests.servicetitan.records import job, new_tenant

README = Path(__file__).resolve().parents[2] / "README.md"
JOBS = 5


@pytest.fixture
async def cached_before_the_column(conn, migrated):
    """Jobs of a tenant of their own cached, then ``priority`` and ``total``
    as a column added later finds them: NULL on every row cached before."""
    tenant = new_tenant()
    records = [job(n, priority=f"P{n}", total=10 * n + 0.5) for n in range(1, JOBS + 1)]
    assert (await StJob.upsert(tenant, records)).inserted == JOBS
    await conn.execute(
        "UPDATE raw.st_jobs SET priority = NULL, total = NULL WHERE tenant_id = $1", tenant
    )
    yield tenant, records
    await conn.execute("DELETE FROM raw.st_jobs WHERE tenant_id = $1", tenant)


async def promoted(conn, tenant) -> dict:
    rows = await conn.fetch(
        "SELECT id, priority, total::float8 AS total FROM raw.st_jobs"
        " WHERE tenant_id = $1 ORDER BY id",
        tenant,
    )
    return {row["id"]: (row["priority"], row["total"]) for row in rows}


def readme_snippet() -> str:
    """The README's backfill snippet, run as written (top-level await)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    (snippet,) = [block for block in blocks if "backfill_promoted(" in block]
    return snippet


async def test_a_resync_leaves_a_later_column_empty_and_the_backfill_fills_it(
    cached_before_the_column, conn
):
    tenant, records = cached_before_the_column
    again = await StJob.upsert(tenant, records)
    assert (again.unchanged, again.updated) == (JOBS, 0)
    assert set((await promoted(conn, tenant)).values()) == {(None, None)}  # the re-sync left them

    # Many batches, whatever else the session's tests cached: batches of 2
    # over every job of the session's database took 69 s on PostgreSQL 15.
    cached = await conn.fetchval("SELECT count(*) FROM raw.st_jobs")
    result = await backfill_promoted(StJob, ["priority", "total"], batch_size=max(2, cached // 40))

    expected = {n: (f"P{n}", 10 * n + 0.5) for n in range(1, JOBS + 1)}
    assert await promoted(conn, tenant) == expected
    assert result.written >= JOBS and result.checked >= JOBS
    assert (tenant, 1) not in {(t, i) for t, i, _ in result.rejected}
    # Run again (a stopped run finished, or one run twice): nothing left to write.
    assert (await backfill_promoted(StJob, ["priority", "total"])).written == 0


async def test_the_readme_snippet_backfills(cached_before_the_column, conn, capsys):
    tenant, _ = cached_before_the_column
    code = compile(readme_snippet(), "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    await eval(code, {})
    assert (await promoted(conn, tenant))[1] == ("P1", None)  # the snippet backfills priority
    checked, written, rejected = capsys.readouterr().out.split(maxsplit=2)
    assert int(written) >= JOBS


async def test_a_row_a_sync_replaced_meanwhile_keeps_the_syncs_values(
    cached_before_the_column, conn
):
    """Read and parsed, then replaced by a sync (a newer version) before
    the batch is written: the batch writes the other rows, not that one."""
    tenant, _ = cached_before_the_column
    backfill = Backfill.of(StJob, ["priority"])
    rows = await conn.fetch(backfill.read_sql, tenant, 0, JOBS)  # the tenant's batch
    assert {(row["tenant_id"], row["id"]) for row in rows} == {(tenant, n) for n in range(1, 6)}
    staged = backfill.parsed(rows, BackfillResult())
    newer = job(1, modified_on="2025-06-01T00:00:00Z", priority="Urgent")
    assert (await StJob.upsert(tenant, [newer])).updated == 1

    assert await backfill.write(conn, staged) == JOBS - 1
    assert (await promoted(conn, tenant))[1][0] == "Urgent"
    assert (await promoted(conn, tenant))[2][0] == "P2"


async def test_a_stored_record_the_parser_refuses_is_reported_and_left(
    cached_before_the_column, conn
):
    tenant, _ = cached_before_the_column
    broken = {**job(3, priority="P3"), "priority": 7}  # a parser grown stricter refuses it
    await conn.execute(
        "UPDATE raw.st_jobs SET full_data = $3::jsonb WHERE tenant_id = $1 AND id = $2",
        tenant, 3, json.dumps(broken),
    )  # fmt: skip

    result = await backfill_promoted(StJob, ["priority"])

    (reason,) = [why for t, i, why in result.rejected if (t, i) == (tenant, 3)]
    assert "priority" in reason
    assert (await promoted(conn, tenant))[3] == (None, None)
    assert (await promoted(conn, tenant))[4] == ("P4", None)


def test_only_promoted_columns_are_backfilled():
    promoted_columns = [name for name, *_ in layout_for(StJob).fields]
    with pytest.raises(ValueError, match=r"st_jobs: full_data is not a promoted column"):
        Backfill.of(StJob, ["full_data"])
    assert Backfill.of(StJob, None).staged_columns[3:] == promoted_columns
