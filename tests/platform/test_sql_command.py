"""``piccolo platform sql``: the exact SQL of each migration, raw steps
included, as a script psql applies; captured on a scratch database, never on
the configured one. A migration whose SQL depends on the rows gets no script:
applied with psql on a filled database, the scripts do what
``piccolo platform migrate`` does, or are refused."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from business.piccolo_migrations.business_2026_12_01t10_11_43_whatsapp_key_values_encrypted import (
    ID as ENCRYPTED,
)
from platform_db.database.catalog import diff, snapshot
from platform_db.database.engine import client_program
from platform_db.migrations.capture import MIGRATE_ONLY
from platform_db.migrations.runner import all_migration_files
from platform_db.secrets import encryption
from tests.conftest import SERVER_URL
from tests.platform.history_apps.backfill_demo.piccolo_migrations import (
    backfill_demo_2026_12_07t03_00_18_drop_note as DROP_NOTE,
)
from tests.platform.history_apps.backfill_demo.piccolo_migrations import (
    backfill_demo_2026_12_07t03_00_26_email_wider as EMAIL_WIDER,
)
from tests.support import pg_tools
from tests.support.commands import PICCOLO, PROJECT, run_piccolo
from tests.support.databases import connect, copy_database, create_database, drop_database

# Nothing answers here: the commands must not need the configured database.
NOWHERE = "postgresql://nobody@127.0.0.1:1/nowhere"
HISTORY = {"PICCOLO_CONF": "tests.platform.history_conf"}
CACHE_FULL_DATA_DIGEST = "2026-12-01T10:20:44:698106"  # adds a column to five tables


def sql(*args, **env):
    return run_piccolo("platform", "sql", *args, url=NOWHERE, **env)


def psql(url: str, script: str) -> subprocess.CompletedProcess:
    """The documented way to apply a script (which may stop itself)."""
    return subprocess.run(
        [client_program("psql"), url, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def databases(migrated_copy):
    """An empty database for psql, one that Piccolo migrated."""
    empty = create_database(SERVER_URL, "test_sql")
    yield empty, migrated_copy("test_sql_piccolo")
    drop_database(empty)


@pytest.fixture
def copies():
    """Copies of a prepared database (nobody connected to it), dropped after."""
    made = []

    def make(source: str, prefix: str) -> str:
        made.append(copy_database(source, prefix))
        return made[-1]

    yield make
    for url in made:
        drop_database(url)


async def state(url):
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT app_name, name FROM migration ORDER BY app_name, name")
        return await snapshot(conn), [tuple(r) for r in rows]
    finally:
        await conn.close()


async def test_the_scripts_build_what_piccolo_builds(databases):
    """`sql all` applied with psql, up to where it stops, then `platform
    migrate` for the rest: the schema and the records Piccolo builds."""
    by_psql, by_piccolo = databases
    done = sql("all")
    assert done.returncode == 1
    script = done.stdout
    assert "CREATE OR REPLACE FUNCTION public.create_messages_partition" in script  # raw steps
    assert "SET LOCAL lock_timeout" in script
    assert f"business {ENCRYPTED} whatsapp_key_values_encrypted {MIGRATE_ONLY}" in script
    assert done.stderr.startswith(f"error: the script stops before business {ENCRYPTED}")
    applied = psql(by_psql, script)
    assert applied.returncode == 3, applied.stderr  # stopped by the script itself
    assert "this script stops before it" in applied.stderr
    _, recorded = await state(by_psql)
    files = [(f.app, f.migration_id) for f in all_migration_files()]
    assert recorded == sorted(files[: files.index(("business", ENCRYPTED))])
    migrate = run_piccolo("platform", "migrate", url=by_psql)
    assert migrate.returncode == 0, migrate.stderr
    built_by_psql, recorded_by_psql = await state(by_psql)
    built_by_piccolo, recorded_by_piccolo = await state(by_piccolo)
    assert diff(built_by_piccolo, built_by_psql) == []
    assert recorded_by_psql == recorded_by_piccolo

    newest = max(name for app, name in recorded_by_piccolo if app == "reporting")
    backwards = sql("reporting", newest, "--backwards")
    assert backwards.returncode == 0, backwards.stderr
    assert backwards.stdout.count("(backwards)") == 1
    pg_tools.run("psql", by_psql, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-", stdin=backwards.stdout)
    assert (
        run_piccolo(
            "migrations", "backwards", "reporting", "--auto_agree", url=by_piccolo
        ).returncode
        == 0
    )
    assert await state(by_psql) == await state(by_piccolo)


def documented_workflow() -> str:
    """The psql workflow of docs/migrations.md (SQL scripts), as written there."""
    text = (PROJECT / "docs" / "migrations.md").read_text()
    block = text.split("<!-- psql-workflow -->", 1)[1]
    return block.split("```bash\n", 1)[1].split("```", 1)[0]


async def pending(url: str, migrations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    conn = await connect(url)
    try:
        done = {tuple(r) for r in await conn.fetch("SELECT app_name, name FROM migration")}
    finally:
        await conn.close()
    return [m for m in migrations if m not in done]


async def operator_applies(url: str, migrations: list[tuple[str, str]], **env) -> None:
    """docs/migrations.md's psql workflow on a live database, for each of
    ``migrations`` still pending, in order (a migration the command refuses
    is applied by `piccolo platform migrate`, with every one after it)."""
    path = f"{Path(PICCOLO).parent}{os.pathsep}{Path(client_program('psql')).parent}"
    for app, migration_id in await pending(url, migrations):
        if (app, migration_id) not in await pending(url, migrations):
            continue
        done = subprocess.run(
            ["bash", "-c", documented_workflow()],
            cwd=PROJECT,
            env={
                **os.environ,
                **env,
                "PATH": f"{path}{os.pathsep}{os.environ['PATH']}",
                "DATABASE_URL": url,
                "APP": app,
                "ID": migration_id,
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert await pending(url, migrations) == []


async def whatsapp_keys(url: str) -> tuple[int, int, str]:
    """(rows, values encrypted, checksum of the plaintext values)."""
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT key_id, value::text AS value FROM whatsapp_auth_keys")
    finally:
        await conn.close()
    plain, encrypted = {}, 0
    for row in rows:
        value = json.loads(row["value"])
        if isinstance(value, str):
            encrypted += 1
            value = json.loads(encryption.decrypt(value))
        plain[row["key_id"]] = value
    return len(rows), encrypted, json.dumps(plain, sort_keys=True)


async def test_a_data_migration_gets_no_script_that_records_it(migrated_copy, copies):
    """Issue 19.3: the WhatsApp keys' encryption, pending on a database whose
    keys are in plaintext. Its script used to record it without encrypting."""
    prepared = migrated_copy("test_sql_keys")
    conn = await connect(prepared)
    try:
        company = await conn.fetchval(
            "INSERT INTO companies (name) VALUES ('Keys salon') RETURNING id"
        )
        await conn.execute(
            """
            INSERT INTO whatsapp_auth_keys (company_id, key_type, key_id, value)
            SELECT $1, 'session', 'key-' || g, jsonb_build_object('private', 'secret-' || g)
            FROM generate_series(1, 1200) AS g
            """,
            company,
        )
        await conn.execute(
            "DELETE FROM migration WHERE app_name = 'business' AND name = $1", ENCRYPTED
        )
    finally:
        await conn.close()
    by_psql, by_migrate = copies(prepared, "test_sql_psql"), copies(prepared, "test_sql_migrate")
    before = await whatsapp_keys(prepared)
    assert before[1] == 0

    migrate = run_piccolo("platform", "migrate", url=by_migrate)
    assert migrate.returncode == 0, migrate.stderr
    await operator_applies(by_psql, [("business", ENCRYPTED)])
    migrated, by_script = await whatsapp_keys(by_migrate), await whatsapp_keys(by_psql)
    assert migrated == (1200, 1200, before[2])
    assert by_script == migrated

    refused = sql("business", ENCRYPTED)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: business {ENCRYPTED} whatsapp_key_values_encrypted")
    assert "DATA_ONLY" in refused.stderr and len(refused.stderr.splitlines()) == 1
    reverse = sql("business", ENCRYPTED, "--backwards")
    assert reverse.returncode == 2 and reverse.stdout == ""
    assert "is reversed only through `piccolo platform rollback`" in reverse.stderr


async def backfill_demo(url: str) -> tuple:
    """(rows, emails, checksum of the emails by id, the column's type)."""
    conn = await connect(url)
    try:
        return tuple(await conn.fetchrow("""
                SELECT count(*), count(email),
                       md5(string_agg(id || ':' || coalesce(email, '-'), ',' ORDER BY id)),
                       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                        WHERE attrelid = 'public.backfill_demo'::regclass AND attname = 'email')
                FROM public.backfill_demo
                """))
    finally:
        await conn.close()


async def test_a_batched_backfill_gets_no_script_that_loses_rows(migrated_copy, copies):
    """Issue 23.7: a ChangeColumnType on a table of 25,000 rows. Its script
    (one batch of 10,000, captured on an empty table) used to leave every
    later row's email NULL."""
    prepared = migrated_copy("test_sql_backfill")
    forwards = run_piccolo(
        "migrations",
        "forwards",
        "backfill_demo",
        f"--migration_id={DROP_NOTE.ID}",
        url=prepared,
        **HISTORY,
    )
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    conn = await connect(prepared)
    try:
        await conn.execute("""
            INSERT INTO public.backfill_demo (email, n)
            SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE 'client' || g || '@example.com' END, g
            FROM generate_series(1, 25000) AS g
            """)
    finally:
        await conn.close()
    by_psql, by_migrate = copies(prepared, "test_sql_psql"), copies(prepared, "test_sql_migrate")
    before = await backfill_demo(prepared)

    migrate = run_piccolo("platform", "migrate", url=by_migrate, **HISTORY)
    assert migrate.returncode == 0, migrate.stderr
    await operator_applies(by_psql, [("backfill_demo", EMAIL_WIDER.ID)], **HISTORY)
    migrated, by_script = await backfill_demo(by_migrate), await backfill_demo(by_psql)
    assert migrated == (*before[:3], "character varying(320)")
    assert by_script == migrated

    whole_app = sql("backfill_demo", **HISTORY)
    assert whole_app.returncode == 1
    assert f"backfill_demo {EMAIL_WIDER.ID} email_wider {MIGRATE_ONLY}" in whole_app.stderr
    assert "ChangeColumnType on public.backfill_demo.email" in whole_app.stderr
    assert "(forwards)" in whole_app.stdout and "ALTER COLUMN" not in whole_app.stdout


def test_the_script_is_the_same_in_every_process(tmp_path):
    """Piccolo adds the five tables' columns in a set's order, which the
    hash seed decides; the script lists them as the migration does."""
    scripts = []
    for seed in ("1", "2", "3"):
        done = sql(
            "servicetitan",
            CACHE_FULL_DATA_DIGEST,
            PYTHONHASHSEED=seed,
            PLATFORM_CACHE_DIR=str(tmp_path / seed),  # captured afresh each time
        )
        assert done.returncode == 0, done.stderr
        scripts.append(done.stdout)
    assert scripts[0] == scripts[1] == scripts[2]
    added = [line.split('"')[3] for line in scripts[0].splitlines() if "ADD COLUMN" in line]
    assert added == [
        "st_locations",
        "st_jobs",
        "st_appointments",
        "st_appointment_assignments",
        "st_technicians",
    ]


def test_an_app_without_migrations_is_one_line():
    done = sql("platform")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: platform has no migrations: there is no SQL to print"
    ]


async def test_the_configured_database_is_not_touched():
    """No pending-migrations count on it (Piccolo's warning, its `migration`
    table created): the command never uses that database."""
    empty = create_database(SERVER_URL, "test_sql_untouched")
    try:
        done = run_piccolo("platform", "sql", "reporting", url=empty, PLATFORM_DB_QUIET="0")
        assert done.returncode == 0, done.stderr
        assert "haven't been run" not in done.stderr and "hasn't been run" not in done.stderr
        conn = await connect(empty)
        try:
            assert (
                await conn.fetchval("SELECT count(*) FROM pg_class WHERE relname = 'migration'")
                == 0
            )
        finally:
            await conn.close()
    finally:
        drop_database(empty)
