"""``piccolo platform lint``: Squawk over the SQL each migration really
executes (``platform_db.migrations.capture``), with the project's rules
(``.squawk.toml``). The migrations that landed before the lint existed ran
on empty databases and are history that cannot be edited: they are listed
in ``platform_db/migrations/lint_baseline.txt`` and skipped; every other migration is
judged.

A migration whose SQL depends on the rows (``capture.migrate_only``: a raw
step in Python, a data migration, batches until no row is left) ran only a
part of its work on the scratch database, which holds none: what it ran is
judged, and the report says that this is all Squawk saw of it (``partial``).

Squawk's ``changing-column-type`` fires on every ``ALTER COLUMN ... TYPE``;
one that the migration's own ``alter_column`` shows to be metadata only (a
wider varchar, varchar -> text, numeric precision up:
``platform_db.migrations.type_changes``) is let through and said so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from platform_db.database.engine import PROJECT_ROOT
from platform_db.migrations.capture import CapturedMigration, capture
from platform_db.migrations.type_changes import metadata_only_findings

CONFIG = PROJECT_ROOT / ".squawk.toml"
BASELINE = Path(__file__).with_name("lint_baseline.txt")
# Every baselined migration is at most this old: a migration written since
# cannot be baselined, it is fixed (the baseline only ever shrinks).
BASELINE_CUTOFF = "2026-11-22T06:20:37:999999"

# What to write instead, in this project's helpers (platform_db/migrations/steps.py).
REWRITES = {
    "require-concurrent-index-creation": "build it with ConcurrentIndex (PartitionedIndex on a "
    "partitioned table), in a migration with wrap_in_transaction=False",
    "require-concurrent-index-deletion": "drop it with ConcurrentIndex's backwards (DROP INDEX "
    "CONCURRENTLY), in a migration with wrap_in_transaction=False",
    "constraint-missing-not-valid": "add it with online_constraint (NOT VALID, then VALIDATE); "
    "a generated CHECK: LiveTableMigrationManager",
    "adding-foreign-key-constraint": "add it with online_constraint (NOT VALID, then VALIDATE); "
    "on a new column: foreign_key_column(manager, <Table>, <column>)",
    "disallowed-unique-constraint": "online_unique(manager, <Table>, <constraint or column>) "
    "(a unique index built concurrently, then UNIQUE USING INDEX)",
    "adding-not-nullable-field": "use SetNotNull (a validated CHECK spares the scan)",
    "adding-required-field": "volatile_default_column(manager, <Table>, <column>), or add it "
    "nullable, backfill, then SetNotNull",
    "changing-column-type": "change_column_type(manager, <Table>, <column>, old_type, new_type): "
    "a plain ALTER when it is metadata only (a wider varchar, varchar -> text, numeric "
    "precision up), else ChangeColumnType (add, backfill, swap)",
    "adding-field-with-default": "volatile_default_column(manager, <Table>, <column>) (added "
    "without the volatile default, backfilled in batches, then NOT NULL)",
    "renaming-column": "expand and contract: add the new column, copy, switch, drop later; or "
    "acknowledge it (LINT_ACKNOWLEDGED) for a maintenance window",
    "renaming-table": "expand and contract: a new table, copy, switch, drop later; or "
    "acknowledge it (LINT_ACKNOWLEDGED) for a maintenance window",
    "ban-drop-column": "drop it in a later release, once no running code reads it, and "
    "acknowledge it there (LINT_ACKNOWLEDGED)",
    "ban-drop-table": "drop it in a later release, once no running code reads it, and "
    "acknowledge it there (LINT_ACKNOWLEDGED)",
}


def _named(file) -> str:
    """How lint names a migration: its app, ID and file."""
    return f"{file.label} ({file.module.__name__}.py)"


class LintError(Exception):
    pass


@dataclass(frozen=True)
class Finding:
    migration: CapturedMigration
    rule: str
    message: str
    help: str
    statement: str

    def __str__(self) -> str:
        file = self.migration.file
        rewrite = REWRITES.get(self.rule)
        lines = [
            f"{_named(file)}: {self.rule}",
            f"    {self.message} {self.help}".rstrip(),
            f"    > {self.statement}",
        ]
        if rewrite:
            lines.append(f"    instead: {rewrite} (docs/migrations.md, Online patterns)")
        return "\n".join(lines)


def read_baseline(path: Path = BASELINE) -> set[tuple[str, str]]:
    entries = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) < 2:
            raise LintError(f"{path.name} line {number}: expected '<app> <migration id>'")
        entries.add((words[0], words[1]))
    return entries


def squawk_path() -> str:
    beside = Path(sys.executable).with_name("squawk")
    found = str(beside) if beside.exists() else shutil.which("squawk")
    if not found:
        raise LintError("squawk is not installed: pip install squawk-cli (a project dependency)")
    return found


def squawk(captured: list[CapturedMigration]) -> list[Finding]:
    """Squawk's findings over each migration's script, with its config."""
    if not captured:
        return []
    with tempfile.TemporaryDirectory(prefix="platform-lint-") as folder:
        paths = {}
        for migration in captured:
            path = Path(folder) / f"{migration.file.module.__name__}.sql"
            path.write_text(migration.script())
            paths[str(path)] = migration
        done = subprocess.run(
            [squawk_path(), "--config", str(CONFIG), "--reporter", "json", *paths],
            capture_output=True,
            text=True,
        )
        if done.returncode not in (0, 1) or not done.stdout.strip().startswith("["):
            raise LintError(f"squawk failed: {' '.join(done.stderr.split()) or done.stdout}")
        findings = []
        for item in json.loads(done.stdout):
            migration = paths[item["file"]] if item["file"] in paths else _by_name(paths, item)
            lines = migration.script().splitlines()
            statement = lines[item["line"]].strip() if item["line"] < len(lines) else ""
            findings.append(
                Finding(
                    migration,
                    item["rule_name"],
                    item["message"],
                    item.get("help") or "",
                    statement,
                )
            )
        return findings


def _by_name(paths: dict, item) -> CapturedMigration:
    name = Path(item["file"]).name
    return next(m for p, m in paths.items() if Path(p).name == name)


@dataclass
class LintReport:
    findings: list[Finding]  # of migrations that are judged
    baselined: list[Finding]
    judged: int
    problems: list[str]  # the baseline's own, and the migrations' LINT_ACKNOWLEDGED
    # Judged migrations whose capture is only a part of what they do.
    partial: list[CapturedMigration] = field(default_factory=list)
    # Findings their migration's LINT_ACKNOWLEDGED lets through, with its reason.
    acknowledged: list[Finding] = field(default_factory=list)
    # changing-column-type findings that are metadata only: (finding, old type, new type).
    metadata_only: list[tuple[Finding, str, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings and not self.problems


async def lint(baseline_path: Path = BASELINE) -> LintReport:
    baseline = read_baseline(baseline_path)
    captured = await capture()
    known = {(m.file.app, m.file.migration_id) for m in captured}
    findings = squawk(captured)
    safe = await metadata_only_findings(findings)
    let_by = {id(finding) for finding, _, _ in safe}
    findings = [f for f in findings if id(f) not in let_by]
    problems = []
    for app, migration_id in sorted(baseline):
        if (app, migration_id) not in known:
            problems.append(
                f"{baseline_path.name} lists {app} {migration_id}, which is not a migration: "
                "remove the line"
            )
        elif migration_id > BASELINE_CUTOFF:
            problems.append(
                f"{baseline_path.name} lists {app} {migration_id}, written after the lint "
                "existed: fix the migration instead (the baseline only shrinks)"
            )
    flagged = {(f.migration.file.app, f.migration.file.migration_id) for f in findings}
    for app, migration_id in sorted(baseline & known - flagged):
        problems.append(
            f"{baseline_path.name} lists {app} {migration_id}, which passes the lint now: "
            "remove the line"
        )

    def baselined(f: Finding) -> bool:
        return (f.migration.file.app, f.migration.file.migration_id) in baseline

    def let_through(f: Finding) -> bool:
        return f.rule in f.migration.file.lint_acknowledged

    for migration in captured:
        fired = {f.rule for f in findings if f.migration is migration}
        problems += acknowledgement_problems(migration.file, fired)

    return LintReport(
        findings=[f for f in findings if not baselined(f) and not let_through(f)],
        baselined=[f for f in findings if baselined(f)],
        judged=len(known - baseline),
        problems=problems,
        partial=[
            m
            for m in captured
            if m.migrate_only and (m.file.app, m.file.migration_id) not in baseline
        ],
        acknowledged=[f for f in findings if not baselined(f) and let_through(f)],
        metadata_only=[change for change in safe if not baselined(change[0])],
    )


def acknowledgement_problems(file, fired: set[str]) -> list[str]:
    """What is wrong with ``file``'s ``LINT_ACKNOWLEDGED``, given the rules
    that ``fired`` on it: not a dict, a rule without a reason, a rule that
    does not fire (stale)."""
    declared = getattr(file.module, "LINT_ACKNOWLEDGED", None)
    if declared is not None and not isinstance(declared, dict):
        return [
            f"{_named(file)}: LINT_ACKNOWLEDGED must be a dict of rule -> reason, not a "
            f"{type(declared).__name__}"
        ]
    problems = []
    for rule, reason in file.lint_acknowledged.items():
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{_named(file)}: LINT_ACKNOWLEDGED[{rule!r}] needs a reason (a str)")
        elif rule not in fired:
            problems.append(
                f"{_named(file)}: LINT_ACKNOWLEDGED names {rule}, which does not fire: remove it "
                "(stale)"
            )
    return problems


def acknowledgement(finding: Finding) -> str:
    """The line ``lint`` prints for a finding its migration acknowledges."""
    file = finding.migration.file
    reason = file.lint_acknowledged[finding.rule]
    return f"{_named(file)}: {finding.rule} " f"acknowledged: {reason}\n    > {finding.statement}"


def metadata_only_line(finding: Finding, old_type: str, new_type: str) -> str:
    """The line ``lint`` prints for a type change it lets through."""
    file = finding.migration.file
    return (
        f"{_named(file)}: {finding.rule} let "
        f"through: {old_type} -> {new_type} is metadata only (no rewrite, no scan)\n"
        f"    > {finding.statement}"
    )


def partly_seen(migration: CapturedMigration) -> str:
    """The line ``lint`` prints for a migration it judged only in part."""
    file = migration.file
    return (
        f"{_named(file)}: judged only on what it ran "
        f"on an empty database; {'; '.join(migration.migrate_only)}: what it does depends on "
        "what the database holds; review that by hand (it runs only through `piccolo platform migrate`)"
    )
