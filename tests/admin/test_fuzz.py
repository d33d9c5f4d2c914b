"""schemathesis against the admin's API (/admin/api/openapi.json) and its
own pages (tests/admin/own_pages_schema.py: /, /inspect/*, /health/,
/login/), logged in and with the CSRF header, on a database of its own (the
fuzzer writes): no response is a server error, and none holds a
credential's secret, its ciphertext or any Fernet token."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.admin.served import PICCOLO, served
from tests.admin.own_pages_schema import LEFT_OUT, own_pages_schema, routes_of_the_pages
from tests.admin.support import PASSWORD
from tests.support.databases import copy_database, drop_database, piccolo_on

ST = Path(sys.executable).parent / "st"
# Per operation; CI's run is ~900 requests. A longer run, as the 12,172:
# PLATFORM_FUZZ_EXAMPLES=50 pytest tests/admin/test_fuzz.py -s
MAX_EXAMPLES = int(os.environ.get("PLATFORM_FUZZ_EXAMPLES", "4"))
FERNET_PREFIX = "gAAAA"


@pytest.fixture(scope="module")
def fuzz_database(migrated_template):
    url = copy_database(migrated_template, "test_admin_fuzz")
    env = {**os.environ, "DATABASE_URL": url}
    try:
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


async def _session(base_url: str, username: str) -> tuple[str, str]:
    """The session and CSRF cookies of ``username``, logged in as the UI does."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        await client.get("/login/")
        token = client.cookies["csrftoken"]
        login = await client.post(
            "/admin/public/login/",
            json={"username": username, "password": PASSWORD},
            headers={"X-CSRFToken": token},
        )
        assert login.status_code == 200, login.text
        return client.cookies["id"], client.cookies["csrftoken"]


def _fuzz(schema: str, base_url: str, session: str, token: str, har: Path, env, *options):
    return subprocess.run(
        [
            str(ST),
            "run",
            schema,
            f"--url={base_url}",
            "--header",
            f"Cookie: id={session}; csrftoken={token}",
            "--header",
            f"X-CSRFToken: {token}",
            "--checks=not_a_server_error",
            f"--max-examples={MAX_EXAMPLES}",
            "--workers=2",
            "--seed=10",
            "--no-shrink",
            "--report=har",
            f"--report-har-path={har}",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=60 * MAX_EXAMPLES,
        env=env,
    )


def _assert_clean(har: Path, plaintexts: list[str], log: str, done, minimum: int) -> list[int]:
    """The statuses of every request of the run, none a server error, no
    response or log line holding a secret."""
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = [entry["response"]["status"] for entry in entries]
    print(f"schemathesis: {len(entries)} requests, {sum(s >= 500 for s in statuses)} 5xx")
    assert len(entries) > minimum, done.stdout[-3000:]
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
    return statuses


@pytest.mark.skipif(not ST.exists() and os.environ.get("CI") != "true", reason="no schemathesis")
async def test_the_fuzzer_finds_no_server_error_and_no_secret(fuzz_database, tmp_path):
    url, env = fuzz_database
    plaintexts = await _seed_credential(url)
    har = tmp_path / "fuzz.har"
    async with served(tmp_path, env={"DATABASE_URL": url}) as admin:
        session, token = await _session(admin.url, "fuzzer")
        done = _fuzz(
            f"{admin.url}/admin/api/openapi.json",
            f"{admin.url}/admin/api",
            session,
            token,
            har,
            env,
            # The fuzzing phase alone: the coverage and stateful phases take
            # minutes on ~300 operations.
            "--phases=fuzzing",
        )
        log = admin.log_text()
    _assert_clean(har, plaintexts, log, done, minimum=500)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.skipif(not ST.exists() and os.environ.get("CI") != "true", reason="no schemathesis")
async def test_the_own_pages_too(fuzz_database, tmp_path):
    """Issue 24.8: /inspect/* and /health/ were in no OpenAPI, so the fuzzer
    never reached them. As a superuser (who reaches every page), every
    route with every parameter, the coverage phase included."""
    from admin.app import create_app
    from admin.inspected import inspected_tables
    from admin.tables import AdminSession
    from piccolo.apps.user.tables import BaseUser
    from piccolo.conf.apps import Finder

    url, env = fuzz_database
    plaintexts = await _seed_credential(url)
    inspected = inspected_tables(Finder().get_app_configs(), BaseUser, AdminSession)
    # Deleting the fuzzer's own session would log it out: not offered to it.
    tables = [t.name for t in inspected if t.name != AdminSession._meta.tablename]
    filters = [c._meta.db_column_name for t in inspected for c in t.filter_columns()]
    schema = own_pages_schema(tables, filters)
    served_paths = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert routes_of_the_pages(create_app()) - LEFT_OUT == served_paths
    schema_file = tmp_path / "own_pages.json"
    schema_file.write_text(json.dumps(schema))
    subprocess.run(
        [
            PICCOLO,
            "user",
            "create",
            "--username=fuzzer_su",
            "--email=fuzzer_su@example.com",
            f"--password={PASSWORD}",
            "--is_admin=t",
            "--is_superuser=t",
            "--is_active=t",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    har = tmp_path / "own.har"
    async with served(tmp_path, env={"DATABASE_URL": url}) as admin:
        session, token = await _session(admin.url, "fuzzer_su")
        done = _fuzz(
            str(schema_file),
            admin.url,
            session,
            token,
            har,
            env,
            "--phases=examples,coverage,fuzzing",
        )
        log = admin.log_text()
    statuses = _assert_clean(har, plaintexts, log, done, minimum=100)
    # Logged in all along: pages were shown, not the way to the login.
    assert statuses.count(200) > 50, sorted(set(statuses))
