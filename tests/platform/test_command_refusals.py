"""Every command of the project given bad input, as an operator types it
(a subprocess on the test database): it exits with its status, says what was
wrong in one or two lines (no help text, no traceback), and writes nothing:
a digest of every row of every table is the same after all the cases ran.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from business.sample_data import SAMPLE_YCLIENTS_COMPANY_ID
from tests.servicetitan.records import list_page, new_tenant
from tests.support.commands import PICCOLO, PROJECT, embedded_env

SECRET = "s3cr3t-typed-on-argv"


def piccolo(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, *args],
        cwd=PROJECT,
        env=env or {**os.environ, "PLATFORM_DB_QUIET": "1"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def everything(conn) -> dict[str, str]:
    """A digest of every row of every project table (Piccolo's own aside)."""
    tables = await conn.fetch(
        """
        SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables
        WHERE schemaname IN ('public', 'raw') AND relname <> 'migration'
        ORDER BY 1
        """
    )
    return {
        t["name"]: await conn.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {t['name']} t"
        )
        for t in tables
    }


class World:
    """What the cases refer to: companies (one with credentials), an
    expired dialog, a sample company loaded from seed 4, and files."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.tenant = new_tenant()
        self.other_tenant = new_tenant()
        self.company = f"Refusals salon {uuid.uuid4().hex[:6]}"
        self.bare_company = f"Bare salon {uuid.uuid4().hex[:6]}"
        self.busy_port = None

    def file(self, name: str, content) -> str:
        path = self.tmp / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)


@pytest.fixture(scope="module")
async def world(migrated, tmp_path_factory):
    from servicetitan.tables import ServiceTitanCredential
    from tests.conftest import TEST_DATABASE_URL
    from tests.support.databases import connect

    w = World(tmp_path_factory.mktemp("refusals"))
    conn = await connect(TEST_DATABASE_URL)
    ids = []
    for name in (w.company, w.bare_company):
        ids.append(await conn.fetchval("INSERT INTO companies (name) VALUES ($1) RETURNING id", name))
    for company_id, tenant in ((ids[0], w.tenant), (ids[1], None)):
        if tenant is not None:
            await ServiceTitanCredential.register(company_id, "integration", "c", "s", tenant_id=tenant)
    # the other company's production credentials hold other_tenant
    await ServiceTitanCredential.register(ids[1], "production", "c", "s", tenant_id=w.other_tenant)
    await conn.execute(
        "INSERT INTO dialog_contexts (company_id, phone, expires_at) "
        "VALUES ($1, '79000000001', now() - interval '1 day')",
        ids[0],
    )
    sample = await conn.fetchval(
        "INSERT INTO companies (name, yclients_company_id, settings) "
        "VALUES ('Test salon', $1, '{\"sample\": {\"seed\": 4, \"scale\": 1}}') RETURNING id",
        SAMPLE_YCLIENTS_COMPANY_ID,
    )
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    w.busy_port = busy.getsockname()[1]
    w.sample_id = sample
    w.jobs = w.file("jobs.json", list_page("st_jobs", [1, 2]))
    w.locations = w.file("locations.json", list_page("st_locations", [1, 2]))
    w.non_record = w.file("minus5.json", {"data": [{"id": -5}]})
    (w.tmp / "empty").mkdir()
    w.conn = conn
    yield w
    busy.close()
    await conn.execute("DELETE FROM companies WHERE id = ANY($1::uuid[])", [*ids, sample])
    await conn.close()


# (arguments, stdin, exit status, what stderr's last line says); callables
# take the world.
CASES = {
    "scale out of range": (
        lambda w: ["business", "load_sample_data", "--scale=100000000"], "", 2,
        "error: --scale must be between 1 and 1,000, not 100,000,000",
    ),
    "scale not a number": (
        lambda w: ["business", "load_sample_data", "--scale=abc"], "", 2,
        "error: --scale must be a whole number, not 'abc'",
    ),
    "second seed names the loaded company": (
        lambda w: ["business", "load_sample_data", "--seed=5"], "", 1,
        lambda w: f"error: the sample company is already loaded: 'Test salon' ({w.sample_id}; "
        "seed 4, scale 1: 0 clients, 0 messages). --replace deletes it, and all it owns, and "
        "loads seed 5 at scale 1",
    ),
    "replace without yes": (
        lambda w: ["business", "load_sample_data", "--seed=5", "--replace"], "", 1,
        "error: not done: pass --yes to go ahead (nothing was changed)",
    ),
    "unknown option": (
        lambda w: ["business", "load_sample_data", "--sclae=2"], "", 2,
        "error: unknown option --sclae (options: --seed, --scale, --replace, --yes)",
    ),
    "cleanup without yes": (
        lambda w: ["business", "cleanup"], "", 1,
        "error: not done: pass --yes to delete them (nothing was changed)",
    ),
    "port out of range": (
        lambda w: ["admin", "serve", "--port=99999"], "", 2,
        "error: --port must be between 1 and 65,535, not 99,999",
    ),
    "port in use": (
        lambda w: ["admin", "serve", f"--port={w.busy_port}"], "", 1,
        lambda w: f"error: cannot listen on 127.0.0.1:{w.busy_port}: Address already in use",
    ),
    "worker concurrency out of range": (
        lambda w: ["servicetitan", "worker", "--concurrency=0"], "", 2,
        "error: --concurrency must be between 1 and 50, not 0",
    ),
    "worker metrics port not a number": (
        lambda w: ["servicetitan", "worker", "--metrics_port=prom"], "", 2,
        "error: --metrics_port must be a whole number, not 'prom'",
    ),
    "worker metrics port in use": (
        lambda w: ["servicetitan", "worker", f"--metrics_port={w.busy_port}"], "", 1,
        lambda w: f"error: cannot serve metrics on 127.0.0.1:{w.busy_port}: Address already in use",
    ),
    "tenant out of bigint range": (
        lambda w: ["servicetitan", "load", "jobs", "99999999999999999999999", w.jobs], "", 2,
        "error: tenant_id must be between 1 and 9,223,372,036,854,775,807, "
        "not 99,999,999,999,999,999,999,999",
    ),
    "tenant not a number": (
        lambda w: ["servicetitan", "load", "jobs", "abc", w.jobs], "", 2,
        "error: tenant_id must be a whole number, not 'abc'",
    ),
    "unknown entity": (
        lambda w: ["servicetitan", "load", "estimates", str(w.tenant), w.jobs], "", 2,
        "error: entity must be one of locations, customers, jobs, appointments, "
        "appointment_assignments, technicians, invoices; not 'estimates'",
    ),
    "no credentials for the tenant": (
        lambda w: ["servicetitan", "load", "jobs", "1", w.jobs], "", 1,
        "error: no servicetitan_credentials row has tenant_id 1: add one with "
        "`piccolo servicetitan add_credential` (nothing was loaded)",
    ),
    "records of another entity": (
        lambda w: ["servicetitan", "load", "jobs", str(w.tenant), w.locations], "", 1,
        lambda w: f"error: {w.locations} page 1: record 1 is a location, not a job: it has "
        "address, name, taxExempt (nothing was loaded)",
    ),
    "a non-record": (
        lambda w: ["servicetitan", "load", "jobs", str(w.tenant), w.non_record], "", 1,
        lambda w: f"error: {w.non_record} page 1: no record is a job: record 1 is not a job "
        "record: it has none of the fields a job has in jpm-v2 Jpm.V2.JobResponse "
        "(appointmentCount, campaignId, customerPo, estimateIds, ...) (nothing was loaded)",
    ),
    "missing file": (
        lambda w: ["servicetitan", "load", "jobs", str(w.tenant), str(w.tmp / "nope.json")], "", 1,
        lambda w: f"error: {w.tmp / 'nope.json'} does not exist (nothing was loaded)",
    ),
    "empty folder": (
        lambda w: ["servicetitan", "load", "jobs", str(w.tenant), str(w.tmp / "empty")], "", 1,
        lambda w: f"error: {w.tmp / 'empty'} holds no .json files (nothing was loaded)",
    ),
    "unknown company": (
        lambda w: ["servicetitan", "add_credential", "No such salon", "integration", "c", "5"],
        "secret\n", 1, "error: no company has the name 'No such salon'",
    ),
    "credential environment": (
        lambda w: ["servicetitan", "add_credential", w.company, "staging", "c", "5"], "secret\n", 2,
        "error: environment must be one of integration, production; not 'staging'",
    ),
    "secret on the command line": (
        lambda w: ["servicetitan", "add_credential", w.company, "production", "c", "5",
                   f"--client_secret={SECRET}"],
        "", 2, "error: unknown option --client_secret",
    ),
    "no secret on stdin": (
        lambda w: ["servicetitan", "add_credential", w.company, "production", "c", "5"], "\n", 2,
        "error: no client secret given (nothing was stored)",
    ),
    "credentials already there": (
        lambda w: ["servicetitan", "add_credential", w.company, "integration", "c", "5"],
        "secret\n", 1,
        lambda w: f"error: {w.company} already has integration credentials (",
    ),
    "tenant of another company": (
        lambda w: ["servicetitan", "add_credential", w.company, "production", "c",
                   str(w.other_tenant)],
        "secret\n", 1,
        "error: servicetitan_credentials.tenant_id, environment = ",
    ),
    "replacing a tenant id without yes": (
        lambda w: ["servicetitan", "set_tenant_id", w.company, "integration", "77"], "", 1,
        "error: not done: pass --yes to change the tenant id (nothing was changed)",
    ),
    "lock timeout not a duration": (
        lambda w: ["platform", "migrate", "--lock_timeout=abc"], "", 2,
        "error: --lock_timeout: 'abc' is not a PostgreSQL duration",
    ),
    "deploy wait below zero": (
        lambda w: ["platform", "migrate", "--wait=-1"], "", 2,
        "error: --wait must be between 0 and 86,400, not -1",
    ),
    "rollback under dependent apps": (
        lambda w: ["platform", "rollback", "business", "all", "--yes"], "", 1,
        "error: refused: reversing business would remove what migrations of apps that depend "
        "on it were built on: ",
    ),
    "rollback count": (
        lambda w: ["platform", "rollback", "business", "some"], "", 2,
        "error: count must be a whole number of migrations (at least 1) or all, not 'some'",
    ),
    "rollback of an unknown app": (
        lambda w: ["platform", "rollback", "nonsense", "1"], "", 2,
        "error: unknown app 'nonsense'; apps: ",
    ),
    "rotate_keys with a misspelt option": (
        lambda w: ["platform", "rotate_keys", "--chek"], "", 2,
        "error: unknown option --chek (options: --check, --yes)",
    ),
    "sql of an unknown migration": (
        lambda w: ["platform", "sql", "business", "2020-01-01T00:00:00:000000"], "", 2,
        "error: business has no migration '2020-01-01T00:00:00:000000'",
    ),
    "sync of an unknown entity": (
        lambda w: ["servicetitan", "sync", "estimates", str(w.tenant)], "", 2,
        "error: entity must be one of locations, customers, jobs, appointments, "
        "appointment_assignments, technicians, invoices, both, all; not 'estimates'",
    ),
    "sync since a non-date": (
        lambda w: ["servicetitan", "sync", "jobs", str(w.tenant), "--since=yesterday"], "", 2,
        "error: --since must be a date as YYYY-MM-DD, not 'yesterday'",
    ),
    "sync both full and since": (
        lambda w: ["servicetitan", "sync", "jobs", str(w.tenant), "--full",
                   "--since=2025-01-01"], "", 2,
        "error: --full and --since cannot be given together",
    ),
    "sync of a tenant without credentials": (
        lambda w: ["servicetitan", "sync", "all", "1"], "", 1,
        "error: no servicetitan_credentials row has tenant_id 1: add one with "
        "`piccolo servicetitan add_credential` (nothing was synced)",
    ),
    "test_connection without the application key": (
        lambda w: ["servicetitan", "test_connection", w.company, "production"], "", 1,
        "error: SERVICETITAN_APP_KEY is not set: every ServiceTitan API call needs the "
        "application's key",
    ),
    "tenant id of missing credentials": (
        lambda w: ["servicetitan", "set_tenant_id", w.company, "production", "77"], "", 1,
        lambda w: f"error: {w.company} has no production credentials: add them with "
        "`piccolo servicetitan add_credential`",
    ),
}


@pytest.fixture(scope="module")
async def refused(world):
    """Every case run, four at a time (each is a whole ``piccolo`` process),
    with a digest of the database before and after them all. A case refused
    for its arguments' form runs on the embedded default with a data
    directory that does not exist yet (test_an_argument_refused_opens_no_database)."""
    never_made = embedded_env(world.tmp / "pg")

    def run(case: str) -> subprocess.CompletedProcess:
        arguments, stdin, _, _ = CASES[case]
        env = never_made if case in USAGE_CASES else None
        return piccolo(*arguments(world), stdin=stdin, env=env)

    before = await everything(world.conn)
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(CASES, pool.map(run, CASES)))
    return done, before, await everything(world.conn)


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_command_says_why_in_a_line(world, refused, case):
    _, _, status, message = CASES[case]
    done = refused[0][case]
    expected = message(world) if callable(message) else message
    output = (done.stdout + done.stderr).splitlines()
    assert done.returncode == status, done.stdout + done.stderr
    assert 1 <= len(output) <= 2, output
    assert done.stderr.splitlines()[-1].startswith(expected), done.stderr
    assert not any(
        marker in done.stdout + done.stderr
        for marker in ("Traceback", "Usage\n", "The command failed", "--trace")
    ), output
    assert SECRET not in done.stdout + done.stderr


def test_no_refused_command_wrote_anything(refused):
    _, before, after = refused
    assert [table for table in before if after.get(table) != before[table]] == []


# Refused for their form (a number, a bound, a choice, an option), which is
# checked before anything: not the usage refusals that look up what they
# name (a migration of the app, a company before asking for its secret), nor
# two options that exclude each other (checked by the command, both in hand).
LOOKED_UP = {"no secret on stdin", "sql of an unknown migration", "sync both full and since"}
USAGE_CASES = [
    case for case, (_, _, status, _) in CASES.items() if status == 2 and case not in LOOKED_UP
]


def test_an_argument_refused_opens_no_database(world, refused):
    """An argument refused for its form is refused before Piccolo's CLI
    counts the migrations (which connects, and on the embedded default
    starts the server): the server's data directory is never even created
    (platform_db/cli/preflight.py). The cases ran so in ``refused``."""
    assert len(USAGE_CASES) >= 10
    for case in USAGE_CASES:
        result = refused[0][case]
        message = CASES[case][3]
        expected = message(world) if callable(message) else message
        assert result.returncode == 2, (case, result.stdout + result.stderr)
        # The one line, and no "database ... on the server of" line before it.
        assert result.stderr.splitlines() == [result.stderr.splitlines()[-1]], (case, result.stderr)
        assert result.stderr.splitlines()[-1].startswith(expected), (case, result.stderr)
    assert not (world.tmp / "pg").exists()
