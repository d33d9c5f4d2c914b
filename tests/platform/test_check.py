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


async def test_months_kept_as_tables_are_the_projects_own(migrated_copy):
    """Issue 19.10: after `maintain_partitions --keep_tables` the detached
    month is a table of the partitions' shape, said so, not drift; a table
    so named but of another shape, or a kept month changed by hand, is."""
    live = migrated_copy()
    conn = await connect(live)
    try:
        old = await conn.fetchval(
            "SELECT (public.create_messages_partition("
            "(date_trunc('month', now()) - interval '12 months')::date)).partition_name"
        )
    finally:
        await conn.close()
    kept = run_piccolo("business", "maintain_partitions", "--keep_tables", "--yes", url=live)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert f"detach {old}" in kept.stdout

    done = check(live)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kept months, detached by `maintain_partitions --keep_tables`" in done.stdout
    assert f"public.{old}" in done.stdout

    conn = await connect(live)
    try:
        await conn.execute(f"CREATE INDEX hand_made_idx ON public.{old} (phone)")
        await conn.execute("CREATE TABLE public.messages_2019_01 (note text)")
    finally:
        await conn.close()
    done = check(live)
    assert done.returncode == 32, done.stdout + done.stderr
    for table in (old, "messages_2019_01"):
        assert (
            f"relations: public.{table} is named as a month of public.messages kept as a table, "
            "but its shape is not that of public.messages's partitions"
        ) in done.stdout
    assert "indexes: public.hand_made_idx is not built by any migration" in done.stdout


HISTORY = {"PICCOLO_CONF": "tests.platform.history_conf"}


async def test_column_order_after_a_rollback_is_not_drift(migrated_copy):
    """Issue 23.6: rolling back a ChangeColumnType, then a drop_column, puts
    the column last; the check says so and passes (but for the migrations
    now pending)."""
    live = migrated_copy()
    forwards = run_piccolo("migrations", "forwards", "all", url=live, **HISTORY)
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    assert check(live, **HISTORY).returncode == 0
    for reversed_first in ("email_wider", "drop_note"):
        rollback = run_piccolo(
            "platform", "rollback", "backfill_demo", "1", "--yes", url=live, **HISTORY
        )
        assert rollback.returncode == 0, rollback.stdout + rollback.stderr
        done = check(live, **HISTORY)
        assert done.returncode == 8, done.stdout + done.stderr
        assert reversed_first in done.stdout
        assert "column order of public.backfill_demo differs from what the migrations build" in (
            done.stdout
        )
    assert "the migrations id, email, note, n; the database id, n, email, note" in done.stdout


INDEXES = {"PICCOLO_CONF": "tests.platform.index_conf"}


async def test_an_index_not_named_as_piccolo_names_it(migrated_copy):
    """A ConcurrentIndex named unlike Piccolo's <table>_<column>: the check
    says so while it exists, and again once a generated drop missed it."""
    from tests.platform.history_apps.index_demo.piccolo_migrations import (
        index_demo_2026_12_07t03_00_21_email_index as EMAIL_INDEX,
    )

    live = migrated_copy()
    forwards = run_piccolo(
        "migrations",
        "forwards",
        "index_demo",
        f"--migration_id={EMAIL_INDEX.ID}",
        url=live,
        **INDEXES,
    )
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    done = check(live, **INDEXES)
    assert done.returncode == 4 + 8, done.stdout + done.stderr
    assert (
        "index_demo: public.index_demo.email: Piccolo names its index public.index_demo_email, "
        "and creates and drops it by that name; the database has public.index_demo_email_idx"
    ) in done.stdout

    forwards = run_piccolo("migrations", "forwards", "index_demo", url=live, **INDEXES)
    assert forwards.returncode == 0, forwards.stdout + forwards.stderr
    done = check(live, **INDEXES)
    assert done.returncode == 4, done.stdout + done.stderr
    assert (
        "dropped its index as Piccolo names it (public.index_demo_email), which did not exist; "
        "public.index_demo_email_idx is still there"
    ) in done.stdout


async def test_no_piccolo_warning_about_pending_migrations(scratch):
    """The check reports pending migrations itself (8); the count before
    it (platform_db/cli/preflight.py) would only warn."""
    empty = scratch()
    done = check(empty, PLATFORM_DB_QUIET="0")
    assert done.returncode == 8, done.stdout + done.stderr
    assert "haven't been run" not in done.stderr, done.stderr
