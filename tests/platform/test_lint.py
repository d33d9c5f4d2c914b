"""``piccolo platform lint``: Squawk over the SQL each migration really runs.
The landed history passes only through its baseline; each unsafe pattern
fails with its rule; each online pattern of platform_db.migrations.steps passes."""

import re

import pytest

from platform_db.migrations.lint import BASELINE, REWRITES, lint, read_baseline
from tests.platform.test_sql_command import NOWHERE
from tests.conftest import SERVER_URL
from tests.support.commands import run_piccolo
from tests.support.databases import connect, create_database, drop_database

UNSAFE = {
    "plain_index": "require-concurrent-index-creation",
    "check_without_not_valid": "constraint-missing-not-valid",
    "volatile_default": "adding-field-with-default",
    "set_not_null": "adding-not-nullable-field",
    "type_change": "changing-column-type",
    "unique": "disallowed-unique-constraint",
    "rename_column": "renaming-column",
    "drop_column": "ban-drop-column",
    "rename_table": "renaming-table",
    "drop_table": "ban-drop-table",
}


def run_lint(**env):
    return run_piccolo("platform", "lint", url=NOWHERE, **env)


def test_the_landed_history_passes_with_its_baseline():
    done = run_lint()
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert re.match(
        r"lint: \d+ migration\(s\) judged, 0 finding\(s\) in 0; 8 baselined.*; 2 judged only in part$",
        summary,
    ), summary
    # The WhatsApp keys' encryption rewrites rows in Python: on the empty
    # scratch database it ran one SELECT, which is all Squawk saw of it.
    assert (
        "business 2026-12-01T10:11:43:139037 (business_2026_12_01t10_11_43_whatsapp_key_values_"
        "encrypted.py): judged only on what it ran on an empty database; it declares DATA_ONLY"
    ) in done.stdout
    # The admin's messages indexes: one concurrent build per partition the
    # database has; the scratch database has the partitions its migrations made.
    assert (
        "business 2026-12-07T14:08:13:366525 (business_2026_12_07t14_08_13_messages_admin_list_"
        "indexes.py): judged only on what it ran on an empty database; PartitionedIndex "
        "messages_newest_idx builds one index per partition"
    ) in done.stdout


async def test_the_configured_database_is_not_touched():
    """No pending-migrations count on it (Piccolo's warning, its `migration`
    table created): lint never uses that database."""
    empty = create_database(SERVER_URL, "test_lint_untouched")
    try:
        done = run_piccolo("platform", "lint", url=empty, PLATFORM_DB_QUIET="0")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "been run" not in done.stderr, done.stderr
        conn = await connect(empty)
        try:
            assert await conn.fetchval("SELECT to_regclass('public.migration')") is None
        finally:
            await conn.close()
    finally:
        drop_database(empty)


def test_unsafe_patterns_fail_and_online_patterns_pass():
    done = run_lint(PICCOLO_CONF="tests.platform.lint_conf")
    assert done.returncode == 1
    found = re.findall(
        r"^lint_(\w+) \S+ \(lint_\w+?_\d+_\d+_\d+t\d+_\d+_\d+_(\w+)\.py\): (\S+)$",
        done.stdout,
        re.M,
    )
    bad = {(description, rule) for app, description, rule in found if app == "bad"}
    for description, rule in UNSAFE.items():
        assert (description, rule) in bad, (description, rule, done.stdout)
    assert not [f for f in found if f[0] == "safe"], done.stdout
    # ChangeColumnType's batches: judged on the one an empty table gave.
    assert re.search(
        r"^lint_safe \S+ \(\S+_online\.py\): judged only on what it ran", done.stdout, re.M
    )
    assert "instead: build it with ConcurrentIndex" in done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith("error: lint found")


async def test_without_its_baseline_the_history_shows_what_the_issue_counted(tmp_path):
    empty = tmp_path / "baseline.txt"
    empty.write_text("")
    report = await lint(empty)
    rules = [f.rule for f in report.findings]
    assert rules.count("require-concurrent-index-creation") == 62
    assert rules.count("constraint-missing-not-valid") == 3
    assert rules.count("disallowed-unique-constraint") == 1
    flagged = {(f.migration.file.app, f.migration.file.migration_id) for f in report.findings}
    assert flagged == read_baseline()


async def test_the_baseline_only_shrinks(tmp_path):
    baseline = tmp_path / "baseline.txt"
    lines = BASELINE.read_text()
    baseline.write_text(
        lines
        + "business 2030-01-01T00:00:00:000000  # not a migration\n"
        + "platform_nothing 2026-01-01T00:00:00:000000\n"
        # the oldest business migration, clean
        + "business 2026-11-22T04:42:10:470484\n"
    )
    report = await lint(baseline)
    assert len(report.problems) == 3
    assert any("not a migration" in p and "2030" in p for p in report.problems)
    assert any("passes the lint now" in p and "04:42:10" in p for p in report.problems)
    assert not report.clean


@pytest.mark.parametrize("line", ["business", "justone"])
def test_a_malformed_baseline_line_is_named(tmp_path, line):
    from platform_db.migrations.lint import LintError

    baseline = tmp_path / "baseline.txt"
    baseline.write_text(f"# comment\n{line}\n")
    with pytest.raises(LintError, match="line 2"):
        read_baseline(baseline)


async def test_an_acknowledged_finding_is_shown_with_its_reason_and_lets_migrate_through(
    migrated_copy,
):
    """Issue 23 item 2: a contract-step DROP COLUMN acknowledged in its
    migration (LINT_ACKNOWLEDGED, by rule, with a reason) is shown by lint
    and by `platform sql`, fails neither, and passes the migrate gate; an
    acknowledgement of a rule that does not fire is reported as stale."""
    env = {"PICCOLO_CONF": "tests.platform.lint_acked_conf"}
    done = run_lint(**env)
    contract = "lint_acked 2026-12-01T02:00:01:000000 (lint_acked_2026_12_01t02_00_01_contract.py)"
    assert (
        f"{contract}: ban-drop-column acknowledged: contract step of release 2; readers stopped"
        " in release 1"
    ) in done.stdout, done.stdout
    assert f"{contract}: ban-drop-column\n" not in done.stdout
    assert re.search(
        r"^lint_acked \S+ \(\S+_stale\.py\): LINT_ACKNOWLEDGED names renaming-table, which does"
        r" not fire: remove it \(stale\)$",
        done.stdout,
        re.M,
    ), done.stdout
    assert "; 1 acknowledged" in done.stdout
    assert done.returncode == 1  # the stale one only
    script = run_piccolo(
        "platform", "sql", "lint_acked", "2026-12-01T02:00:01:000000", url=NOWHERE, **env
    )
    assert script.returncode == 0, script.stderr
    assert (
        "-- lint acknowledged ban-drop-column: contract step of release 2; readers stopped in"
        " release 1\n"
    ) in script.stdout
    url = migrated_copy()
    deployed = run_piccolo("platform", "migrate", url=url, **env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    conn = await connect(url)
    try:
        assert (
            await conn.fetchval("SELECT count(*) FROM migration WHERE app_name = 'lint_acked'") == 3
        )
    finally:
        await conn.close()


def test_each_rule_mapped_to_a_helper_passes_through_that_helper():
    """Every rule the lint maps to a helper (REWRITES), each change as
    --auto generates it (lint_generated: the rule fires) and the same change
    through the helper the message names (lint_helped): no finding left, or
    only the one its LINT_ACKNOWLEDGED lets through."""
    from tests.platform.lint_apps.changes import CHANGES

    assert {rule for rule, _, _ in CHANGES.values()} == set(REWRITES)
    done = run_lint(PICCOLO_CONF="tests.platform.lint_helpers_conf")
    found = re.findall(r"^(lint_generated|lint_helped) \S+ \(lint_\w+?_\d+_\d+_\d+t\d+_\d+_\d+_"
                       r"(\w+)\.py\): (\S+)( acknowledged)?", done.stdout, re.M)  # fmt: skip
    found = [f for f in found if f[2] != "judged"]  # judged only in part: said, not a finding
    for description, (rule, _, helper) in CHANGES.items():
        assert helper in REWRITES[rule], (rule, helper)
        assert ("lint_generated", description, rule, "") in found, (description, done.stdout)
        helped = [f for f in found if f[:2] == ("lint_helped", description)]
        acknowledged = [("lint_helped", description, rule, " acknowledged")]
        assert helped == (acknowledged if helper == "LINT_ACKNOWLEDGED" else []), helped


def test_a_metadata_only_type_change_as_piccolo_generates_it_passes():
    """lint_types: alter_column as --auto writes it. A wider varchar,
    varchar -> text, numeric precision up: let through and said so; int ->
    bigint and a numeric scale change rewrite the table: flagged, naming
    change_column_type."""
    done = run_lint(PICCOLO_CONF="tests.platform.lint_types_conf")
    assert done.returncode == 1
    out = done.stdout
    flagged = re.findall(
        r"^lint_types \S+ \(lint_types_\d+_\d+_\d+t\d+_\d+_\d+_(\w+)\.py\): changing-column-type$",
        out,
        re.M,
    )
    assert flagged == ["integer_to_bigint", "numeric_scale_up"], out
    assert out.count("instead: change_column_type(manager") >= 2
    let_through = re.findall(
        r"^lint_types \S+ \(lint_types_\d+_\d+_\d+t\d+_\d+_\d+_(\w+)\.py\): changing-column-type let through: (.+) is "
        r"metadata only",
        out,
        re.M,
    )
    assert let_through == [
        ("varchar_wider", "varchar(255) -> varchar(320)"),
        ("varchar_to_text", "varchar -> text"),
        ("numeric_precision_up", "numeric(10,2) -> numeric(12,2)"),
    ], out
    assert "2 finding(s) in 2;" in out.splitlines()[-1]


@pytest.mark.parametrize(
    "old, new, safe",
    [
        ("VARCHAR(255)", "VARCHAR(320)", (True, False)),
        ("VARCHAR(320)", "VARCHAR(255)", (False, True)),
        ("VARCHAR(255)", "TEXT", (True, False)),
        ("NUMERIC(10, 2)", "NUMERIC(12, 2)", (True, False)),
        ("NUMERIC(10, 2)", "NUMERIC(12, 3)", (False, False)),
    ],
)
def test_a_generated_type_change_is_judged_in_both_directions(old, new, safe):
    """Forwards and backwards (a rollback's lint) each on its own: the
    backwards of a widening narrows."""
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager
    from piccolo.columns import Numeric, Text, Varchar

    from platform_db.migrations.type_changes import metadata_only_change

    def column(sql):
        kind, _, args = sql.partition("(")
        numbers = tuple(int(n) for n in args.rstrip(")").split(",") if n.strip())
        if kind == "VARCHAR":
            return Varchar, {"length": numbers[0]}
        if kind == "NUMERIC":
            return Numeric, {"digits": numbers}
        return Text, {}

    (new_class, params), (old_class, old_params) = column(new), column(old)
    manager = MigrationManager(migration_id="test", app_name="test")
    manager.alter_column(
        table_class_name="Demo", tablename="demo", column_name="c", db_column_name="c",
        params=params, old_params=old_params, column_class=new_class, old_column_class=old_class,
    )  # fmt: skip
    forwards = metadata_only_change(f'ALTER TABLE "demo" ALTER COLUMN "c" TYPE {new};', manager)
    backwards = metadata_only_change(
        f'ALTER TABLE "demo" ALTER COLUMN "c" TYPE {old};', manager, True
    )
    assert (forwards is not None, backwards is not None) == safe


@pytest.mark.parametrize(
    "declared, problem",
    [
        (["ban-drop-column"], "LINT_ACKNOWLEDGED must be a dict of rule -> reason, not a list"),
        ({"ban-drop-column": ""}, "LINT_ACKNOWLEDGED['ban-drop-column'] needs a reason (a str)"),
        (
            {"renaming-table": "a window"},
            "LINT_ACKNOWLEDGED names renaming-table, which does not fire: remove it (stale)",
        ),
        ({"ban-drop-column": "the contract step"}, None),
    ],
)
def test_a_malformed_acknowledgement_is_named_in_a_line(declared, problem):
    """A LINT_ACKNOWLEDGED that is not a dict of rule -> reason, or that
    names a rule which does not fire, is a lint problem of one line (and
    ``platform sql`` reads no acknowledgement from a list)."""
    from types import SimpleNamespace

    from platform_db.migrations.lint import acknowledgement_problems
    from platform_db.migrations.runner import MigrationFile

    module = SimpleNamespace(__name__="demo_2026_12_07t00_00_00_x", LINT_ACKNOWLEDGED=declared)
    file = MigrationFile("demo", "2026-12-07T00:00:00:000000", module)
    problems = acknowledgement_problems(file, fired={"ban-drop-column"})
    named = "demo 2026-12-07T00:00:00:000000 (demo_2026_12_07t00_00_00_x.py)"
    assert problems == ([] if problem is None else [f"{named}: {problem}"])
    assert file.lint_acknowledged == (declared if isinstance(declared, dict) else {})
