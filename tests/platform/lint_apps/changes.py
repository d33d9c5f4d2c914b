"""Each change whose generated form a lint rule flags, as ``--auto``
generates it (``lint_generated``) and as the helper the rule's message
names does it (``lint_helped``): the same change, on tables of the same
shape (``<app>_demo``, ...). A migration's DESCRIPTION names its rule."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import UUID, BigInt, BigSerial, ForeignKey, Integer, Text
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from platform_db.migrations.generated import (
    change_column_type,
    foreign_key_column,
    online_unique,
    volatile_default_column,
)
from platform_db.migrations.online import ConcurrentIndex, LiveTableMigrationManager, SetNotNull
from platform_db.migrations.partitioned import PartitionedIndex
from platform_db.migrations.state import state_only
from platform_db.migrations.steps import SqlStep, add_sql_steps


class LintGeneratedParent(Table, tablename="lint_generated_parent", schema=None):
    id = BigSerial(primary_key=True)


class LintHelpedParent(Table, tablename="lint_helped_parent", schema=None):
    id = BigSerial(primary_key=True)


PARENTS = {"lint_generated": LintGeneratedParent, "lint_helped": LintHelpedParent}


def tables_sql(app: str) -> tuple[str, str]:
    """New tables (nothing locks a table nobody uses yet), and their drop."""
    return (
        f"CREATE TABLE public.{app}_parent (id bigserial PRIMARY KEY);"
        f" CREATE TABLE public.{app}_demo (id bigint PRIMARY KEY, label text, tag text,"
        " n integer, email text, note text, amount integer, old_name text, gone text);"
        f" CREATE INDEX {app}_demo_tag ON public.{app}_demo USING btree (tag);"
        f" CREATE TABLE public.{app}_parts (created_at timestamptz NOT NULL, x integer)"
        " PARTITION BY RANGE (created_at);"
        f" CREATE TABLE public.{app}_parts_default PARTITION OF public.{app}_parts DEFAULT;"
        f" CREATE TABLE public.{app}_renamed (id bigint PRIMARY KEY);"
        f" CREATE TABLE public.{app}_dropped (id bigint PRIMARY KEY)",
        f"DROP TABLE public.{app}_demo, public.{app}_parent, public.{app}_parts,"
        f" public.{app}_dropped, public.{app}_renamed;"
        f" DROP TABLE IF EXISTS public.{app}_renamed_to",
    )


class Change:
    """``generated(manager)`` adds the operations ``--auto`` writes;
    ``helped(manager)`` adds them and calls the helper."""

    def __init__(self, app: str):
        self.app, self.cls, self.table = app, "Demo", f"{app}_demo"
        self.common = {"table_class_name": self.cls, "tablename": self.table}

    def alter(self, manager, column, params, old_params, column_class, old_column_class=None):
        manager.alter_column(
            **self.common,
            column_name=column,
            db_column_name=column,
            params=params,
            old_params=old_params,
            column_class=column_class,
            old_column_class=old_column_class or column_class,
        )

    def add(self, manager, column, column_class, params):
        manager.add_column(
            **self.common,
            column_name=column,
            db_column_name=column,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )


def _index_creation(c: Change, manager, helped: bool):
    c.alter(manager, "label", {"index": True}, {"index": False}, Text)
    if helped:
        add_sql_steps(manager, ConcurrentIndex(f"{c.table}_label", f"public.{c.table}", "(label)"))
        state_only(manager, c.cls, "label", kinds=("alter_column",))


def _index_creation_partitioned(c: Change, manager, helped: bool):
    index = PartitionedIndex(f"{c.app}_parts_x", f"public.{c.app}_parts", "(x)")
    if helped:
        add_sql_steps(manager, index)
    else:
        plain = SqlStep(f"CREATE INDEX {index.name} ON {index.table} (x)", index.backwards)
        add_sql_steps(manager, plain)


def _index_deletion(c: Change, manager, helped: bool):
    c.alter(manager, "tag", {"index": False}, {"index": True}, Text)
    if helped:
        index = ConcurrentIndex(f"{c.table}_tag", f"public.{c.table}", "USING btree (tag)")
        add_sql_steps(manager, SqlStep(index.backwards, index.forwards))
        state_only(manager, c.cls, "tag", kinds=("alter_column",))


def _check(c: Change, manager, helped: bool):
    manager.add_constraint(
        **c.common,
        constraint_name=f"{c.table}_n_positive",
        constraint_class=Check,
        params={"condition": "n >= 0"},
    )


def _foreign_key(c: Change, manager, helped: bool):
    params = {"references": PARENTS[c.app], "null": True, "index": True}
    c.add(manager, "parent", ForeignKey, params)
    if helped:
        foreign_key_column(manager, c.cls, "parent")


def _unique(c: Change, manager, helped: bool):
    manager.add_constraint(
        **c.common,
        constraint_name=f"{c.table}_email_key",
        constraint_class=Unique,
        params={"columns": ["email"], "nulls_distinct": True},
    )
    if helped:
        online_unique(manager, c.cls, f"{c.table}_email_key")


def _not_null(c: Change, manager, helped: bool):
    c.alter(manager, "note", {"null": False}, {"null": True}, Text)
    if helped:
        add_sql_steps(manager, SetNotNull(f"public.{c.table}", "note"))
        state_only(manager, c.cls, "note", kinds=("alter_column",))


def _required(c: Change, manager, helped: bool):
    # Piccolo always writes a DEFAULT for a NOT NULL column: this one is hand-written.
    drop = f"ALTER TABLE public.{c.table} DROP COLUMN req"
    if helped:
        add = f"ALTER TABLE public.{c.table} ADD COLUMN req integer"
        add_sql_steps(manager, SqlStep(add, drop), SetNotNull(f"public.{c.table}", "req"))
    else:
        add_sql_steps(
            manager, SqlStep(f"ALTER TABLE public.{c.table} ADD COLUMN req integer NOT NULL", drop)
        )


def _volatile_default(c: Change, manager, helped: bool):
    c.add(manager, "token", UUID, {"default": UUID4(), "null": False})
    if helped:
        volatile_default_column(manager, c.cls, "token")


def _type(c: Change, manager, helped: bool):
    c.alter(manager, "amount", {}, {}, BigInt, Integer)
    if helped:
        change_column_type(manager, c.cls, "amount", "integer", "bigint")


def _rename_column(c: Change, manager, helped: bool):
    manager.rename_column(**c.common, old_column_name="old_name", new_column_name="new_name")


def _drop_column(c: Change, manager, helped: bool):
    manager.drop_column(**c.common, column_name="gone")


def _rename_table(c: Change, manager, helped: bool):
    manager.rename_table(
        old_class_name="Renamed",
        old_tablename=f"{c.app}_renamed",
        new_class_name="RenamedTo",
        new_tablename=f"{c.app}_renamed_to",
    )


def _drop_table(c: Change, manager, helped: bool):
    manager.drop_table(class_name="Dropped", tablename=f"{c.app}_dropped")


# DESCRIPTION -> (the rule its generated form breaks, the change, the helper it is named by).
CHANGES = {
    "require_concurrent_index_creation": (
        "require-concurrent-index-creation",
        _index_creation,
        "ConcurrentIndex",
    ),
    "require_concurrent_index_creation_partitioned": (
        "require-concurrent-index-creation",
        _index_creation_partitioned,
        "PartitionedIndex",
    ),
    "require_concurrent_index_deletion": (
        "require-concurrent-index-deletion",
        _index_deletion,
        "ConcurrentIndex",
    ),
    "constraint_missing_not_valid": (
        "constraint-missing-not-valid",
        _check,
        "LiveTableMigrationManager",
    ),
    "adding_foreign_key_constraint": (
        "adding-foreign-key-constraint",
        _foreign_key,
        "foreign_key_column",
    ),
    "disallowed_unique_constraint": ("disallowed-unique-constraint", _unique, "online_unique"),
    "adding_not_nullable_field": ("adding-not-nullable-field", _not_null, "SetNotNull"),
    "adding_required_field": ("adding-required-field", _required, "SetNotNull"),
    "adding_field_with_default": (
        "adding-field-with-default",
        _volatile_default,
        "volatile_default_column",
    ),
    "changing_column_type": ("changing-column-type", _type, "change_column_type"),
    "renaming_column": ("renaming-column", _rename_column, "LINT_ACKNOWLEDGED"),
    "ban_drop_column": ("ban-drop-column", _drop_column, "LINT_ACKNOWLEDGED"),
    "renaming_table": ("renaming-table", _rename_table, "LINT_ACKNOWLEDGED"),
    "ban_drop_table": ("ban-drop-table", _drop_table, "LINT_ACKNOWLEDGED"),
}

ACKNOWLEDGED = "expand and contract: no running code uses it any more (the lint's test)"


def change(app: str, migration_id: str, description: str):
    """The ``forwards`` of ``description``'s change in ``app``: generated as
    it is in ``lint_generated``, through its helper in ``lint_helped``."""
    helped = app == "lint_helped"
    build, helper = CHANGES[description][1:]

    async def forwards():
        kind = LiveTableMigrationManager if helper == "LiveTableMigrationManager" else None
        manager = (kind if helped and kind else MigrationManager)(
            migration_id=migration_id,
            app_name=app,
            description=description,
            wrap_in_transaction=not helped,
        )
        build(Change(app), manager, helped)
        return manager

    return forwards


def tables(app: str, migration_id: str):
    async def forwards():
        manager = MigrationManager(migration_id=migration_id, app_name=app, description="tables")
        add_sql_steps(manager, SqlStep(*tables_sql(app)))
        return manager

    return forwards
