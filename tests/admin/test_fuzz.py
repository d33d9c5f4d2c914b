"""schemathesis against the admin's API (/admin/api/openapi.json), logged in
and with the CSRF header, on a database of its own (the fuzzer writes):
no response is a server error, and none holds a credential's secret, its
ciphertext or any Fernet token."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.admin.served import PICCOLO, served
from tests.admin.support import PASSWORD
from tests.conftest import SERVER_URL
from tests.support.databases import create_database, drop_database, piccolo_on

ST = Path(sys.executable).parent / "st"
# Per operation; CI's run is ~900 requests. A longer run, as the 12,172:
# PLATFORM_FUZZ_EXAMPLES=50 pytest tests/admin/test_fuzz.py -s
MAX_EXAMPLES = int(os.environ.get("PLATFORM_FUZZ_EXAMPLES", "4"))
FERNET_PREFIX = "gAAAA"


@pytest.fixture(scope="module")
def fuzz_database():
    url = create_database(SERVER_URL, "test_admin_fuzz")
    env = {**os.environ, "DATABASE_URL": url}
    try:
        subprocess.run(
            [PICCOLO, "migrations", "forwards", "all"],
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        subprocess.run(
            [
                PICCOLO,
                "user",
                "create",
                "--username=fuzzer",
                "--email=fuzzer@example.com",
                f"--password={PASSWORD}",
                "--is_admin=t",
                "--is_superuser=f",
                "--is_active=t",
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield url, env
    finally:
        drop_database(url)


async def _seed_credential(url: str) -> list[str]:
    from datetime import datetime, timedelta, timezone

    from business.tables import Company
    from servicetitan.tables import ServiceTitanCredential

    with piccolo_on(url):
        company = Company(name="Fuzzed Salon")
        await company.save()
        plain = ["cs-fuzz-plaintext-91f3", "at-fuzz-plaintext-5c2e", "rt-fuzz-plaintext-0d7a"]
        credential = await ServiceTitanCredential.register(company.id, "production", "c", plain[0])
        await credential.record_token_refresh(
            plain[1], plain[2], datetime.now(timezone.utc) + timedelta(hours=1)
        )
    return plain


@pytest.mark.skipif(not ST.exists() and os.environ.get("CI") != "true", reason="no schemathesis")
async def test_the_fuzzer_finds_no_server_error_and_no_secret(fuzz_database, tmp_path):
    url, env = fuzz_database
    plaintexts = await _seed_credential(url)
    har = tmp_path / "fuzz.har"
    async with served(tmp_path, env={"DATABASE_URL": url}) as admin:
        async with httpx.AsyncClient(base_url=admin.url) as client:
            await client.get("/admin/")
            token = client.cookies["csrftoken"]
            login = await client.post(
                "/admin/public/login/",
                json={"username": "fuzzer", "password": PASSWORD},
                headers={"X-CSRFToken": token},
            )
            assert login.status_code == 200, login.text
            session = client.cookies["id"]
        done = subprocess.run(
            [
                str(ST),
                "run",
                f"{admin.url}/admin/api/openapi.json",
                f"--url={admin.url}/admin/api",
                "--header",
                f"Cookie: id={session}; csrftoken={token}",
                "--header",
                f"X-CSRFToken: {token}",
                "--checks=not_a_server_error",
                f"--max-examples={MAX_EXAMPLES}",
                "--workers=2",
                "--seed=10",
                "--no-shrink",
                # The fuzzing phase alone: the coverage and stateful phases take
                # minutes on ~300 operations.
                "--phases=fuzzing",
                "--report=har",
                f"--report-har-path={har}",
            ],
            capture_output=True,
            text=True,
            timeout=60 * MAX_EXAMPLES,
            env=env,
        )
        log = admin.log_text()
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = [entry["response"]["status"] for entry in entries]
    print(f"schemathesis: {len(entries)} requests, {sum(s >= 500 for s in statuses)} 5xx")
    assert len(entries) > 500, done.stdout[-3000:]
    errors = [
        (e["request"]["method"], e["request"]["url"], e["response"]["status"])
        for e in entries
        if e["response"]["status"] >= 500
    ]
    assert not errors, errors[:20]
    for entry in entries:
        body = entry["response"].get("content", {}).get("text", "") or ""
        assert FERNET_PREFIX not in body, entry["request"]["url"]
        for secret in plaintexts:
            assert secret not in body, entry["request"]["url"]
    assert FERNET_PREFIX not in log and "Failing row contains" not in log
    shutil.rmtree(tmp_path, ignore_errors=True)
