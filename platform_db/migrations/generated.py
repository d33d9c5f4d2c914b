"""One call per everyday change that ``--auto`` generates in a form that
locks a busy table: each reads the generated operation from the migration,
adds the online steps that do its work (each with its reverse), and keeps
the operation for Piccolo's state only (``state_only``). For a migration
declared ``MigrationManager(..., wrap_in_transaction=False)``:

- ``online_unique(manager, "Client", "unique_company_email")``: a unique
  index built concurrently, then ``ADD CONSTRAINT ... UNIQUE USING INDEX``;
- ``foreign_key_column(manager, "Booking", "staff")``: the column added
  nullable, its index built concurrently, the FK added NOT VALID, validated;
- ``volatile_default_column(manager, "Client", "token")``: NOT NULL with a
  volatile default (``UUID()``): added nullable, the default set for new
  rows, old rows backfilled in batches, then NOT NULL through a CHECK;
- ``change_column_type(manager, "Client", "email", old_type=, new_type=)``:
  ``AlterColumnType`` (a plain ALTER) when PostgreSQL needs no rewrite,
  ``ChangeColumnType`` (add, backfill, swap) when it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey
from piccolo.constraints import Unique
from piccolo.table import create_table_class

from platform_db.migrations.backfill import IN_BATCHES, backfill, updated_at_kept
from platform_db.migrations.online import (
    ChangeColumnType,
    ConcurrentIndex,
    SetNotNull,
    UniqueUsingIndex,
    _constraint_definition,
    online_constraint,
)
from platform_db.migrations.state import state_only
from platform_db.migrations.steps import (
    OnlineDDLRefused,
    SqlStep,
    add_sql_steps,
    alone,
    execute,
    own_session,
)


def _table(op) -> str:
    return f"{op.schema or 'public'}.{op.tablename}"


def _generated_column(manager: MigrationManager, table_class_name: str, column: str):
    for op in manager.add_columns.add_columns:
        if op.table_class_name == table_class_name and column in (
            op.column._meta.name,
            op.column._meta.db_column_name,
        ):
            # Bound to its table, as Piccolo binds it to add it: its SQL type
            # and default need the engine.
            op.column._meta._table = create_table_class(
                class_name=op.table_class_name,
                class_kwargs={"tablename": op.tablename, "schema": op.schema},
            )
            return op
    raise OnlineDDLRefused(f"the migration adds no column {table_class_name}.{column}")


@dataclass(frozen=True)
class OnlineUnique:
    """A UNIQUE constraint named like ``index`` on a table in use: the
    unique index built concurrently (an INVALID leftover dropped), then
    attached as the constraint (a moment's lock, no scan). Run again, it
    does what is missing. Backwards drops the constraint, its index with it."""

    index: ConcurrentIndex

    @property
    def forwards(self) -> str:
        return f"{self.index.forwards};\n{UniqueUsingIndex(self.index).forwards}"

    @property
    def backwards(self) -> str:
        return f"ALTER TABLE {self.index.table} DROP CONSTRAINT IF EXISTS {self.index.name}"

    async def run_forwards(self) -> None:
        async with own_session(f"UNIQUE {self.index.name}") as (conn, _):
            done = await _constraint_definition(conn, self.index.table, self.index.name)
        if done is None:
            await self.index.run_forwards()
            await UniqueUsingIndex(self.index).run_forwards()

    async def run_backwards(self) -> None:
        await execute(self.backwards)


def online_unique(manager: MigrationManager, table_class_name: str, name: str) -> OnlineUnique:
    """The generated UNIQUE ``name`` (a ``Unique([...])`` constraint of
    ``table_class_name``, or its column ``name`` made ``unique=True``),
    built online by an ``OnlineUnique`` step; the generated operation
    changes Piccolo's state only."""
    for op in manager.add_constraints.add_constraints:
        constraint = op.constraint
        if op.table_class_name == table_class_name and constraint._meta.name == name:
            if not isinstance(constraint, Unique):
                raise OnlineDDLRefused(f"{table_class_name}.{name} is not a Unique constraint")
            nulls = " NULLS NOT DISTINCT" if constraint.nulls_distinct is False else ""
            columns = ", ".join(f'"{c}"' for c in constraint.get_column_names())
            step = OnlineUnique(
                ConcurrentIndex(name, _table(op), f"({columns}){nulls}", unique=True)
            )
            kinds = ("add_constraint",)
            break
    else:
        op = next(
            (
                op
                for op in manager.alter_columns.alter_columns
                if op.table_class_name == table_class_name
                and name in (op.column_name, op.db_column_name)
                and op.params.get("unique") is True
            ),
            None,
        )
        if op is None:
            raise OnlineDDLRefused(
                f"the migration adds no UNIQUE {name} to {table_class_name} (a Unique constraint "
                "or a column made unique=True)"
            )
        if set(op.params) != {"unique"}:
            raise OnlineDDLRefused(
                f"{table_class_name}.{name}: its alter_column also changes "
                f"{', '.join(sorted(set(op.params) - {'unique'}))}; put the UNIQUE in a "
                "migration of its own"
            )
        # The constraint PostgreSQL names for Piccolo's ADD UNIQUE (column).
        index = ConcurrentIndex(
            f"{op.tablename}_{op.db_column_name}_key",
            _table(op),
            f'("{op.db_column_name}")',
            unique=True,
        )
        step, kinds = OnlineUnique(index), ("alter_column",)
    add_sql_steps(manager, step)
    state_only(manager, table_class_name, name, kinds=kinds)
    return step


def foreign_key_column(manager: MigrationManager, table_class_name: str, column: str) -> tuple:
    """The generated new ``ForeignKey`` column ``column``: added nullable
    (no scan, a moment's lock), its index built concurrently when it
    declares ``index=True`` (named ``<table>_<column>`` as Piccolo names
    it), the FK added NOT VALID, then validated; the generated
    ``add_column`` changes Piccolo's state only. Returns the steps."""
    op = _generated_column(manager, table_class_name, column)
    fk = op.column
    if not isinstance(fk, ForeignKey):
        raise OnlineDDLRefused(f"{table_class_name}.{column} is not a ForeignKey")
    if not fk._meta.null:
        raise OnlineDDLRefused(
            f"{table_class_name}.{column}: a new NOT NULL foreign key needs a value for every "
            "row; add it null=True, fill it, then SetNotNull"
        )
    table, name = _table(op), fk._meta.db_column_name
    meta = fk._foreign_key_meta
    target = meta.resolved_references
    key = meta.target_column or target._meta.primary_key
    key = target._meta.get_column_by_name(key) if isinstance(key, str) else key
    references = f'{target._meta.get_formatted_tablename()} ("{key._meta.db_column_name}")'
    steps = [
        SqlStep(
            f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{name}" {fk.column_type}',
            # squawk: the column this migration added, rows or not
            f'-- squawk-ignore ban-drop-column\nALTER TABLE {table} DROP COLUMN IF EXISTS "{name}"',
        )
    ]
    if fk._meta.index:
        steps.append(ConcurrentIndex(f"{op.tablename}_{name}", table, f'USING btree ("{name}")'))
    steps += online_constraint(
        table,
        f"{op.tablename}_{name}_fkey",  # PostgreSQL's name for Piccolo's REFERENCES
        f'FOREIGN KEY ("{name}") REFERENCES {references}'
        f" ON DELETE {meta.on_delete.value} ON UPDATE {meta.on_update.value}",
    )
    add_sql_steps(manager, *steps)
    state_only(manager, table_class_name, column, kinds=("add_column",))
    return tuple(steps)


@dataclass(frozen=True)
class VolatileDefaultColumn:
    """A NOT NULL column with a volatile default (``gen_random_uuid()``,
    ``now()``...), which ``ADD COLUMN`` would write into every row under an
    ACCESS EXCLUSIVE lock: added nullable without it, the default set for
    new rows, the old rows filled in batches (each its own short
    transaction, ``updated_at`` left as it was), then ``SetNotNull``.
    Backwards drops the column."""

    table: str
    column: str
    type: str
    default: str
    batch_size: int = 10_000

    @property
    def depends_on_data(self) -> str:
        return f"VolatileDefaultColumn on {self.table}.{self.column} fills the rows {IN_BATCHES}"

    @property
    def backwards(self) -> str:
        # squawk: the column this migration added
        return (
            "-- squawk-ignore ban-drop-column\n"
            f'ALTER TABLE {self.table} DROP COLUMN IF EXISTS "{self.column}"'
        )

    async def run_forwards(self) -> None:
        what = f"NOT NULL {self.table}.{self.column} DEFAULT {self.default}"
        column = f'"{self.column}"'
        await alone(
            f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS {column} {self.type};\n"
            f"ALTER TABLE {self.table} ALTER COLUMN {column} SET DEFAULT {self.default}",
            what,
        )
        async with own_session(what) as (conn, timeouts):
            async with updated_at_kept(conn, self.table, timeouts, what):
                await backfill(
                    conn,
                    self.table,
                    f"{column} = {self.default}",
                    timeouts,
                    what,
                    self.batch_size,
                    where=f"t.{column} IS NULL",
                )
        await SetNotNull(self.table, self.column).run_forwards()

    async def run_backwards(self) -> None:
        await execute(self.backwards)


def volatile_default_column(
    manager: MigrationManager, table_class_name: str, column: str, batch_size: int = 10_000
) -> VolatileDefaultColumn:
    """The generated NOT NULL ``column`` with a volatile default (e.g.
    ``UUID()``), added by a ``VolatileDefaultColumn`` step; the generated
    ``add_column`` changes Piccolo's state only."""
    op = _generated_column(manager, table_class_name, column)
    meta = op.column._meta
    default = op.column.get_sql_value(op.column.default)
    step = VolatileDefaultColumn(
        _table(op), meta.db_column_name, op.column.column_type, str(default), batch_size
    )
    add_sql_steps(manager, step)
    state_only(manager, table_class_name, column, kinds=("add_column",))
    return step


_VARCHAR = re.compile(r"^(?:varchar|character varying)(?:\((\d+)\))?$", re.I)
_NUMERIC = re.compile(r"^(?:numeric|decimal)\((\d+)(?:,\s*(\d+))?\)$", re.I)


def metadata_only(old_type: str, new_type: str) -> bool:
    """Whether PostgreSQL changes ``old_type`` to ``new_type`` without
    rewriting or scanning the table: a varchar made wider or unbounded,
    varchar to text, numeric with more precision and the same scale."""
    old, new = old_type.strip(), new_type.strip()
    old_varchar, new_varchar = _VARCHAR.match(old), _VARCHAR.match(new)
    if old_varchar and (new.lower() == "text" or new_varchar):
        if new.lower() == "text" or new_varchar.group(1) is None:
            return True
        return old_varchar.group(1) is not None and int(new_varchar[1]) >= int(old_varchar[1])
    old_numeric, new_numeric = _NUMERIC.match(old), _NUMERIC.match(new)
    if old_numeric and new_numeric:
        return (old_numeric[2] or "0") == (new_numeric[2] or "0") and int(new_numeric[1]) >= int(
            old_numeric[1]
        )
    return False


@dataclass(frozen=True)
class AlterColumnType:
    """``ALTER COLUMN ... TYPE`` for a change PostgreSQL makes in its
    catalog alone (``metadata_only``: no rewrite, no scan, no row touched),
    under the migration's short lock_timeout, retried. Backwards narrows it
    back: that one scans or rewrites the table (a rollback's plan says so)."""

    table: str
    column: str
    new_type: str
    old_type: str

    def __post_init__(self):
        if not metadata_only(self.old_type, self.new_type):
            raise OnlineDDLRefused(
                f"{self.table}.{self.column}: {self.old_type} -> {self.new_type} rewrites the "
                "table; use ChangeColumnType"
            )

    def _alter(self, to_type: str, note: str) -> str:
        return (
            # Squawk reads an ignore on the line right before the statement.
            f"-- {note}\n-- squawk-ignore changing-column-type\n"
            f'ALTER TABLE {self.table} ALTER COLUMN "{self.column}" TYPE {to_type}'
        )

    @property
    def forwards(self) -> str:
        return self._alter(self.new_type, "metadata only: no rewrite, no scan")

    @property
    def backwards(self) -> str:
        return self._alter(self.old_type, "narrowing back: PostgreSQL rewrites the table")

    async def run_forwards(self) -> None:
        await execute(self.forwards)

    async def run_backwards(self) -> None:
        await execute(self.backwards)


def change_column_type(
    manager: MigrationManager,
    table_class_name: str,
    column: str,
    old_type: str,
    new_type: str,
    **rewrite,
):
    """The generated type change of ``column``: an ``AlterColumnType``
    when it is metadata only, else a ``ChangeColumnType`` (``rewrite``: its
    ``using``, ``reverse_using``, ``batch_size``); the generated
    ``alter_column`` changes Piccolo's state only. Returns the step."""
    op = next(
        (
            op
            for op in manager.alter_columns.alter_columns
            if op.table_class_name == table_class_name
            and column in (op.column_name, op.db_column_name)
        ),
        None,
    )
    if op is None:
        raise OnlineDDLRefused(f"the migration alters no column {table_class_name}.{column}")
    table, name = _table(op), op.db_column_name
    if metadata_only(old_type, new_type):
        step = AlterColumnType(table, name, new_type, old_type)
    else:
        step = ChangeColumnType(table, name, new_type, old_type, **rewrite)
    add_sql_steps(manager, step)
    state_only(manager, table_class_name, column, kinds=("alter_column",))
    return step
