"""``piccolo platform check``: exit status 0 when classes, migration files and
database agree, else the sum of 4 (class drift), 8 (pending), 16 (orphaned),
32 (schema drift, printed as a diff); no false drift after a pg_dump /
pg_restore round trip with the wheel's programs, nor for partitions made by
maintenance since."""

import pytest

from tests.conftest import SERVER_URL
from tests.support import pg_tools
from tests.support.commands import run_piccolo
from tests.support.databases import connect, create_database, drop_database


def check(url, *args, **env):
    return run_piccolo("platform", "check", *args, url=url, **env)


@pytest.fixture
def scratch():
    urls = []

    def make():
        urls.append(create_database(SERVER_URL, "test_check_restored"))
        return urls[-1]

    yield make
    for url in urls:
        drop_database(url)


async def restore(source: str, target: str) -> None:
    """pg_dump / pg_restore as an operator would, with the wheel's programs.
    (pg_restore 18 writes `SET transaction_timeout`, which servers before 17
    refuse: it is left out for them.)"""
    conn = await connect(target)
    try:
        version = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    archive = pg_tools.run("pg_dump", "--format=custom", source, binary=True).stdout  # to stdout
    sql = pg_tools.run("pg_restore", "--no-owner", "--file=-", stdin=archive, binary=True)
    lines = sql.stdout.decode().splitlines()
    if version < 170000:
        lines = [line for line in lines if not line.startswith("SET transaction_timeout")]
    pg_tools.run("psql", target, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-", stdin="\n".join(lines))


def test_a_migrated_database_is_clean(migrated_copy):
    done = check(migrated_copy())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agree" in done.stdout


async def test_no_false_drift_after_dump_and_restore_nor_for_new_partitions(migrated_copy, scratch):
    restored = scratch()
    await restore(migrated_copy(), restored)
    conn = await connect(restored)
    try:
        # The CHECK that comes back printed otherwise (issue 11)...
        printed = await conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conname = 'servicetitan_sync_logs_status_check'"
        )
        assert "ARRAY[(" in printed, printed
        # ...and a partition that monthly maintenance added since.
        await conn.execute(
            "SELECT public.create_messages_partition((now() + interval '9 months')::date)"
        )
    finally:
        await conn.close()
    done = check(restored)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_each_kind_of_drift_has_its_status_and_a_readable_line(migrated_copy):
    live = migrated_copy()
    conn = await connect(live)
    try:
        await conn.execute("""
            DROP INDEX public.idx_clients_company_last_visit;
            CREATE INDEX hand_made_idx ON public.companies (phone);
            ALTER FUNCTION public.cleanup_expired_dialog_contexts() RESET search_path;
            DROP TRIGGER clients_set_updated_at ON public.clients;
            ALTER TABLE public.servicetitan_sync_logs DROP CONSTRAINT servicetitan_sync_logs_status_check;
            ALTER TABLE public.servicetitan_sync_logs ADD CONSTRAINT servicetitan_sync_logs_status_check
                CHECK (status IN ('running', 'completed'));
            INSERT INTO migration (name, app_name, ran_on) VALUES ('2020-01-01T00:00:00:000000', 'business', now());
            """)
        # admin_sessions (its first migration) recorded as not applied.
        await conn.execute(
            "DELETE FROM migration WHERE app_name = 'admin' AND name = '2026-11-22T04:53:38:853021'"
        )
    finally:
        await conn.close()
    done = check(live, PICCOLO_CONF="tests.platform.drift_conf")
    assert done.returncode == 4 + 8 + 16 + 32, done.stdout + done.stderr
    out = done.stdout
    for expected in (
        "drift_app: ",  # Piccolo's own comparison: a table to create
        "admin 2026-11-22T04:53:38:853021 admin_sessions",  # pending
        "business 2020-01-01T00:00:00:000000: recorded as applied, no such migration file",
        "indexes: public.idx_clients_company_last_visit is missing",
        "indexes: public.hand_made_idx is not built by any migration",
        "triggers: public.clients.clients_set_updated_at is missing",
        "functions: public.cleanup_expired_dialog_contexts() differs:",
        "- SET search_path TO 'pg_catalog', 'public', 'pg_temp'",
        "constraints: public.servicetitan_sync_logs.servicetitan_sync_logs_status_check differs:",
        # applied on live but pending: its table is one no migration built here
        "relations: public.admin_sessions is not built by any migration",
    ):
        assert expected in out, (expected, out)
    assert done.stderr.strip().splitlines()[-1].startswith("error: check found:")

    skipped = check(live, "--skip_schema")
    assert skipped.returncode == 8 + 16, skipped.stdout
