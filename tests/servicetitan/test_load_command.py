"""``piccolo servicetitan load`` run as users run it, in a subprocess on the
test database (``DATABASE_URL`` is set by tests/conftest.py), on files shaped
as ServiceTitan's API returns them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicetitan.cache.raw_tables import CACHE_TABLES
from servicetitan.tables import ServiceTitanSyncLog
from tests.servicetitan.records import export_page, job, list_page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PICCOLO = Path(sys.executable).parent / "piccolo"


def piccolo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PICCOLO), "servicetitan", *args],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, content) -> None:
    path.write_text(json.dumps(content))


async def logs_of(credential) -> list[dict]:
    return await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    )


async def test_load_list_and_export_pages_from_a_folder(conn, credential, tenant, tmp_path):
    write(tmp_path / "01.json", {"page": 1, "pageSize": 2, "hasMore": True, "data": [job(1), job(2)]})
    write(
        tmp_path / "02.json",
        [
            {"hasMore": True, "continueFrom": "a", "data": [job(3), job(4, customerId="x")]},
            {"hasMore": False, "continueFrom": "b", "data": [job(2, modified_on="2025-05-01T00:00:00Z")]},
        ],
    )
    done = piccolo("load", "jobs", str(tenant), str(tmp_path), "--full")
    assert done.returncode == 0, done.stderr
    assert f"raw.st_jobs, tenant {tenant}: 3 inserted, 1 updated, 0 unchanged, 1 rejected" in done.stdout
    second_file = tmp_path / "02.json"
    assert (
        f"rejected {second_file} page 1 record 2 (id 4): st_jobs.customer_id = 'x' rejected"
        in done.stderr
    )
    assert "st_jobs" in done.stderr  # the progress bar, on stderr
    rows = await conn.fetch(
        "SELECT id, modified_on FROM raw.st_jobs WHERE tenant_id = $1 ORDER BY id", tenant
    )
    assert [r["id"] for r in rows] == [1, 2, 3]
    [log] = await logs_of(credential)
    assert (log["status"], log["data_type"], log["records_failed"]) == ("completed", "jobs", 1)
    [rejected] = json.loads(log["error_details"])["rejected"]
    assert (rejected["file"], rejected["page"], rejected["record"], rejected["id"]) == (
        str(second_file), 1, 2, 4,
    )
    state = await conn.fetchrow(
        "SELECT last_full_sync, records_synced FROM raw.sync_state WHERE tenant_id = $1", tenant
    )
    assert state["last_full_sync"] is not None and state["records_synced"] == 4


@pytest.mark.parametrize("table", list(CACHE_TABLES))
async def test_each_entity_loads_from_spec_shaped_pages(conn, credential, tenant, tmp_path, table):
    write(tmp_path / "01.json", list_page(table, [1, 2], has_more=True))
    write(tmp_path / "02.json", [export_page(table, [3]), export_page(table, [4])])
    entity = table.removeprefix("st_")
    done = piccolo("load", entity, str(tenant), str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"raw.{table}, tenant {tenant}: 4 inserted, 0 updated, 0 unchanged, 0 rejected" in done.stdout
    stored = await conn.fetchval(f"SELECT count(*) FROM raw.{table} WHERE tenant_id = $1", tenant)
    assert stored == 4
    [log] = await logs_of(credential)
    assert log["data_type"] == CACHE_TABLES[table].DATA_TYPE
    assert log["data_type"] == {"st_appointment_assignments": "assignments"}.get(table, entity)


@pytest.mark.parametrize(
    "second, problem",
    [
        ("{not json", "not a readable JSON file"),
        (list_page("st_locations", [7]), "page 1: record 1 is a location, not a job"),
        ({"items": []}, "page 1 is not a ServiceTitan list or export page"),
        ({"data": [{"id": -5}]}, "page 1: no record is a job: record 1 is not a job record"),
    ],
)
async def test_a_folder_is_checked_whole_before_anything_is_loaded(
    conn, credential, tenant, tmp_path, second, problem
):
    write(tmp_path / "01.json", list_page("st_jobs", [1, 2]))
    bad = tmp_path / "02.json"
    bad.write_text(second if isinstance(second, str) else json.dumps(second))
    refused = piccolo("load", "jobs", str(tenant), str(tmp_path))
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith(f"error: {bad}") and problem in line and "(nothing was loaded)" in line
    assert refused.stdout == ""
    # nothing was written: no row, no sync log, no sync state
    assert await conn.fetchval("SELECT count(*) FROM raw.st_jobs WHERE tenant_id = $1", tenant) == 0
    assert await logs_of(credential) == []
    assert await conn.fetchval("SELECT count(*) FROM raw.sync_state WHERE tenant_id = $1", tenant) == 0
