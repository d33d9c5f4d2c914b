"""Generated operations that change only Piccolo's migration state: what
Django's ``SeparateDatabaseAndState`` is for. ``--auto`` writes operations
that Piccolo runs as plain DDL; when the database side is done another way
(the online helpers' SQL steps, a maintenance window's script, or nothing
because the database already has it), the operations stay in the migration,
so that Piccolo's snapshot (and the next ``--auto``, and ``platform check``)
sees them, but none of them runs, forwards or backwards.

Piccolo runs a migration's raw functions before its generated operations
(PICCOLO_NOTES.md), and builds its snapshot from the operations without
running the raw functions: a raw function that takes the chosen operations
out of the manager as it runs does exactly this.
"""

from __future__ import annotations

from collections.abc import Iterable

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

# Each kind of generated operation: the manager's list of it, and the names
# one such operation is known by (its table's class name, then the column,
# constraint or class names it touches).
KINDS = {
    "add_table": (lambda m: m.add_tables, lambda op: (op.class_name,)),
    "drop_table": (lambda m: m.drop_tables, lambda op: (op.class_name,)),
    "rename_table": (
        lambda m: m.rename_tables,
        lambda op: (op.old_class_name, op.new_class_name),
    ),
    "change_table_schema": (lambda m: m.change_table_schemas, lambda op: (op.class_name,)),
    "add_column": (
        lambda m: m.add_columns.add_columns,
        lambda op: (op.table_class_name, op.column._meta.name, op.column._meta.db_column_name),
    ),
    "drop_column": (
        lambda m: m.drop_columns.drop_columns,
        lambda op: (op.table_class_name, op.column_name, op.db_column_name),
    ),
    "rename_column": (
        lambda m: m.rename_columns.rename_columns,
        lambda op: (
            op.table_class_name,
            op.old_column_name,
            op.new_column_name,
            op.old_db_column_name,
            op.new_db_column_name,
        ),
    ),
    "alter_column": (
        lambda m: m.alter_columns.alter_columns,
        lambda op: (op.table_class_name, op.column_name, op.db_column_name),
    ),
    "add_constraint": (
        lambda m: m.add_constraints.add_constraints,
        lambda op: (op.table_class_name, op.constraint._meta.name),
    ),
    "drop_constraint": (
        lambda m: m.drop_constraints.drop_constraints,
        lambda op: (op.table_class_name, op.constraint_name),
    ),
}


class StateOnlyError(Exception):
    """A ``state_only`` call that names no operation of its migration."""


def state_only(
    manager: MigrationManager,
    table_class_name: str,
    name: str | None = None,
    kinds: Iterable[str] = tuple(KINDS),
) -> None:
    """Keep the generated operations on ``table_class_name`` in the
    migration for Piccolo's state, and run none of them (both directions):
    those on its column or constraint ``name``, or every operation on the
    table without ``name`` (``add_table``, ``rename_table``, ... included;
    a rename is known by its old and new class names). ``kinds`` narrows it
    to some kinds of operation (``"add_column"``, ``"add_constraint"``...).
    Call it once the migration lists its operations (after ``--auto``'s
    lines): it refuses to match none, a typo would otherwise run the DDL."""
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise StateOnlyError(
            f"state_only: no kind of operation {unknown[0]!r} (known: {', '.join(KINDS)})"
        )

    def chosen(kind: str, op) -> bool:
        names = KINDS[kind][1](op)
        if name is None:
            return table_class_name in names[: 2 if kind == "rename_table" else 1]
        return names[0] == table_class_name and name in names[1:]

    if not any(chosen(kind, op) for kind in kinds for op in KINDS[kind][0](manager)):
        what = f"{table_class_name}.{name}" if name else table_class_name
        raise StateOnlyError(
            f"state_only: the migration has no generated {' / '.join(kinds)} operation on {what}"
        )
    skip_when_run(manager, chosen, kinds)


def skip_when_run(manager: MigrationManager, chosen, kinds: Iterable[str]) -> None:
    """Take the operations ``chosen(kind, op)`` out of ``manager`` as it
    runs, before its generated operations (both directions)."""

    def skip() -> None:
        for kind in kinds:
            ops = KINDS[kind][0](manager)
            ops[:] = [op for op in ops if not chosen(kind, op)]

    skip.state_only = True  # read by the capture: it changes what Piccolo runs, not the database
    manager.add_raw(skip)
    manager.add_raw_backwards(skip)
