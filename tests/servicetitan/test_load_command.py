"""``piccolo servicetitan load`` run as users run it, in a subprocess on the
test database (``DATABASE_URL`` is set by tests/conftest.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from servicetitan.tables import ServiceTitanSyncLog
from tests.servicetitan.records import job

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
    assert "rejected record 3 (id 4): st_jobs.customer_id = 'x' rejected" in done.stderr
    assert "st_jobs" in done.stderr  # the progress bar, on stderr
    rows = await conn.fetch(
        "SELECT id, modified_on FROM raw.st_jobs WHERE tenant_id = $1 ORDER BY id", tenant
    )
    assert [r["id"] for r in rows] == [1, 2, 3]
    log = await ServiceTitanSyncLog.select().where(
        ServiceTitanSyncLog.servicetitan_credential == credential.id
    ).first()
    assert (log["status"], log["data_type"], log["records_failed"]) == ("completed", "jobs", 1)
    state = await conn.fetchrow(
        "SELECT last_full_sync, records_synced FROM raw.sync_state WHERE tenant_id = $1", tenant
    )
    assert state["last_full_sync"] is not None and state["records_synced"] == 4


async def test_load_refuses_what_it_cannot_do(credential, tenant, tmp_path):
    page = tmp_path / "page.json"
    write(page, {"data": [job(1)]})
    unknown_tenant = piccolo("load", "jobs", str(tenant + 1), str(page))
    assert unknown_tenant.returncode == 1
    assert f"no servicetitan_credentials row has tenant_id {tenant + 1}" in unknown_tenant.stderr
    write(page, {"items": []})
    not_a_page = piccolo("load", "jobs", str(tenant), str(page))
    assert not_a_page.returncode == 1
    assert "is not a ServiceTitan list or export page" in not_a_page.stderr
    unknown_entity = piccolo("load", "invoices", str(tenant), str(page))
    assert "unknown entity 'invoices'" in unknown_entity.stderr
