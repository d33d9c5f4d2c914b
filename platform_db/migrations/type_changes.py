"""Which ``ALTER COLUMN ... TYPE`` a migration runs as Piccolo generates it
changes PostgreSQL's catalog alone: a varchar made wider or unbounded,
varchar to text, numeric with more precision and the same scale
(``generated.metadata_only``). Squawk's ``changing-column-type`` fires on
every type change; the migration's own ``alter_column`` (its column classes
and old and new params) says what the column was and becomes, so the lint
lets these through and still flags a change that rewrites the table."""

from __future__ import annotations

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Numeric, Text, Varchar

from platform_db.database.engine import LazyEngine
from platform_db.database.scratch import piccolo_using
from platform_db.migrations.generated import metadata_only

RULE = "changing-column-type"

_ALTER_TYPE = re.compile(
    r'^ALTER TABLE (?:ONLY )?(?P<table>\S+) ALTER COLUMN "?(?P<column>[^"\s]+)"? '
    r"TYPE (?P<type>.+?);?$",
    re.I,
)


def sql_type(column_class, params: dict) -> str | None:
    """The type a Piccolo column of ``column_class`` with ``params`` has,
    for the types ``metadata_only`` knows (else None)."""
    if issubclass(column_class, Varchar):
        length = params.get("length")
        return f"varchar({length})" if length else "varchar"
    if issubclass(column_class, Text):
        return "text"
    if issubclass(column_class, Numeric):
        digits = params.get("digits")
        return f"numeric({digits[0]},{digits[1]})" if digits else "numeric"
    return None


def _normal(sql: str) -> str:
    text = re.sub(r"\s+", "", sql.lower())
    return re.sub(r"^(?:decimal|charactervarying)", _alias, text)


def _alias(found: re.Match) -> str:
    return "numeric" if found.group(0) == "decimal" else "varchar"


def metadata_only_change(
    statement: str, manager: MigrationManager, backwards: bool = False
) -> tuple[str, str] | None:
    """(old type, new type) when ``statement`` is the ``ALTER COLUMN ...
    TYPE`` of one of ``manager``'s ``alter_column`` operations and the
    change is metadata only; else None."""
    found = _ALTER_TYPE.match(" ".join(statement.split()))
    if found is None or re.search(r"\bUSING\b", found["type"], re.I):
        return None
    schema, _, table = found["table"].replace('"', "").rpartition(".")
    for op in manager.alter_columns.alter_columns:
        if (op.tablename, op.db_column_name) != (table, found["column"]):
            continue
        if schema and schema != (op.schema or "public"):
            continue
        classes = (op.column_class, op.old_column_class)
        params = (op.params, op.old_params)
        if backwards:
            classes, params = classes[::-1], params[::-1]
        if None in classes:
            continue
        new, old = sql_type(classes[0], params[0]), sql_type(classes[1], params[1])
        if new and old and _normal(new) == _normal(found["type"]) and metadata_only(old, new):
            return old, new
    return None


async def metadata_only_findings(findings: list) -> list[tuple]:
    """(finding, old type, new type) for each of the lint's ``findings`` of
    ``changing-column-type`` whose statement is a metadata-only change of its
    migration's ``alter_column``. The managers are made with no database."""
    managers: dict[int, MigrationManager | None] = {}
    safe = []
    with piccolo_using(LazyEngine(offline=True)):
        for finding in findings:
            if finding.rule != RULE:
                continue
            migration = finding.migration
            if id(migration) not in managers:
                try:
                    managers[id(migration)] = await migration.file.manager()
                except Exception:
                    managers[id(migration)] = None  # needs a database: not recognised
            manager = managers[id(migration)]
            change = manager and metadata_only_change(
                finding.statement, manager, migration.backwards
            )
            if change:
                safe.append((finding, *change))
    return safe
