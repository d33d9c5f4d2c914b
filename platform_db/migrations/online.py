"""The online forms of the DDL that would lock a busy table, each step with
its exact reverse (docs/migrations.md shows them in migrations):

- ``ConcurrentIndex``: ``CREATE INDEX CONCURRENTLY`` / ``DROP INDEX
  CONCURRENTLY``; drops the INVALID index a failed build leaves behind.
- ``UniqueUsingIndex``: a UNIQUE constraint on an index built concurrently.
- ``NotValidConstraint`` then ``ValidateConstraint``: a CHECK or FOREIGN KEY
  added without a scan under a strong lock, then validated under a lock
  writers do not wait for (``online_constraint`` gives both).
- ``SetNotNull``: NOT NULL through a validated CHECK, so ``SET NOT NULL``
  needs no scan.
- ``ChangeColumnType``: a new column, kept in step by a trigger, backfilled
  in batches, then swapped in one short transaction.
- ``LiveTableMigrationManager``: a migration whose generated CHECKs go in
  through ``online_constraint``.

All but ``NotValidConstraint`` run only in a migration declared
``MigrationManager(..., wrap_in_transaction=False)`` and refuse otherwise;
each statement then commits on its own (``platform_db.migrations.steps``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.constraints import Check
from piccolo.engine import engine_finder

from platform_db.migrations.backfill import IN_BATCHES, backfill, primary_key, updated_at_kept
from platform_db.migrations.names import identifier as _identifier
from platform_db.migrations.names import split_table as _split
from platform_db.migrations.runner import BOOKKEEPING, with_lock_retries
from platform_db.migrations.steps import (
    OnlineDDLRefused,
    alone,
    atomic,
    execute,
    own_session,
    refuse_in_transaction,
)


@dataclass(frozen=True)
class ConcurrentIndex:
    """``CREATE [UNIQUE] INDEX CONCURRENTLY name ON table <definition>``,
    e.g. ``ConcurrentIndex("clients_phone_idx", "public.clients", "(phone)")``
    or ``"USING gin (full_data jsonb_path_ops)"``. Writers go on while it
    builds. A build that fails (a duplicate for a unique index, a lock or
    statement timeout, a cancel) leaves an INVALID index behind: it is
    dropped at once, and again before any later attempt."""

    name: str
    table: str
    definition: str
    unique: bool = False

    @property
    def qualified_name(self) -> str:
        return f"{_split(self.table)[0]}.{self.name}"

    @property
    def forwards(self) -> str:
        unique = "UNIQUE " if self.unique else ""
        return (
            f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {self.name}\n"
            f"    ON {self.table} {self.definition}"
        )

    @property
    def backwards(self) -> str:
        return f"DROP INDEX CONCURRENTLY IF EXISTS {self.qualified_name}"

    async def run_forwards(self) -> None:
        async with own_session(f"CREATE INDEX CONCURRENTLY {self.name}") as (conn, timeouts):

            async def attempt() -> None:
                await self.drop_if_invalid(conn)
                try:
                    await conn.execute(self.forwards)
                except BaseException:
                    await self.drop_if_invalid(conn)
                    raise

            await with_lock_retries(attempt, timeouts, f"CREATE INDEX CONCURRENTLY {self.name}")

    async def run_backwards(self) -> None:
        await alone(self.backwards, f"DROP INDEX CONCURRENTLY {self.name}")

    async def drop_if_invalid(self, conn) -> bool:
        invalid = await conn.fetchval(
            BOOKKEEPING + "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)",
            self.qualified_name,
        )
        if invalid:
            await conn.execute(self.backwards)
        return bool(invalid)


@dataclass(frozen=True)
class UniqueUsingIndex:
    """A UNIQUE constraint named like ``index`` on that index, built
    concurrently first (``ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING
    INDEX`` takes its lock only briefly, and scans nothing). Backwards drops
    the constraint and builds the index again, as the step before left it."""

    index: ConcurrentIndex

    @property
    def forwards(self) -> str:
        return (
            f"ALTER TABLE {self.index.table}\n"
            f"    ADD CONSTRAINT {self.index.name} UNIQUE USING INDEX {self.index.name}"
        )

    @property
    def backwards(self) -> str:
        return f"ALTER TABLE {self.index.table} DROP CONSTRAINT {self.index.name}"

    async def run_forwards(self) -> None:
        await alone(self.forwards, f"UNIQUE USING INDEX {self.index.name}")

    async def run_backwards(self) -> None:
        await alone(self.backwards, f"UNIQUE USING INDEX {self.index.name}")
        await self.index.run_forwards()


async def _constraint_definition(conn, table: str, name: str) -> str | None:
    return await conn.fetchval(
        BOOKKEEPING + "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass($1) AND conname = $2",
        table,
        name,
    )


@dataclass(frozen=True)
class NotValidConstraint:
    """``ALTER TABLE t ADD CONSTRAINT name <definition> NOT VALID``: new and
    changed rows are checked from now on, existing ones are not scanned, so
    the table's lock is held only for a moment. ``definition`` is
    ``CHECK (...)`` or ``FOREIGN KEY (...) REFERENCES ...``. Skipped when
    the constraint exists (a migration run again after a failed validation)."""

    table: str
    name: str
    definition: str

    @property
    def forwards(self) -> str:
        return (
            f"ALTER TABLE {self.table}\n    ADD CONSTRAINT {self.name} {self.definition} NOT VALID"
        )

    @property
    def backwards(self) -> str:
        return f"ALTER TABLE {self.table} DROP CONSTRAINT IF EXISTS {self.name}"

    async def run_forwards(self) -> None:
        engine = engine_finder()
        transaction = engine.current_transaction.get()
        if transaction is not None:
            if await _constraint_definition(transaction.connection, self.table, self.name) is None:
                await transaction.connection.execute(self.forwards)
            return
        async with own_session() as (conn, timeouts):
            if await _constraint_definition(conn, self.table, self.name) is None:
                await with_lock_retries(
                    lambda: conn.execute(self.forwards), timeouts, f"ADD CONSTRAINT {self.name}"
                )

    async def run_backwards(self) -> None:
        await execute(self.backwards)


@dataclass(frozen=True)
class ValidateConstraint:
    """``ALTER TABLE t VALIDATE CONSTRAINT name``: scans the rows under a
    SHARE UPDATE EXCLUSIVE lock, which writers do not wait for. Outside the
    transaction that added the constraint (that one's lock would be held for
    the whole scan). Backwards makes it NOT VALID again (drop and add back,
    no scan), the exact state before."""

    table: str
    name: str
    definition: str

    @property
    def forwards(self) -> str:
        return f"ALTER TABLE {self.table} VALIDATE CONSTRAINT {self.name}"

    @property
    def backwards(self) -> str:
        return (
            f"ALTER TABLE {self.table}\n    DROP CONSTRAINT {self.name},\n"
            f"    ADD CONSTRAINT {self.name} {self.definition} NOT VALID"
        )

    async def run_forwards(self) -> None:
        await alone(self.forwards, f"VALIDATE CONSTRAINT {self.name}")

    async def run_backwards(self) -> None:
        await execute(self.backwards)


def online_constraint(table: str, name: str, definition: str) -> tuple:
    """Both steps of a CHECK / FOREIGN KEY added to a busy table, for a
    migration with ``wrap_in_transaction=False``."""
    return (
        NotValidConstraint(table, name, definition),
        ValidateConstraint(table, name, definition),
    )


@dataclass(frozen=True)
class SetNotNull:
    """``SET NOT NULL`` without scanning under an ACCESS EXCLUSIVE lock: a
    ``CHECK (column IS NOT NULL) NOT VALID``, validated (writers go on),
    lets ``SET NOT NULL`` skip its scan; the CHECK is dropped in the same
    short transaction. Backwards: ``DROP NOT NULL``."""

    table: str
    column: str

    @property
    def _check(self) -> tuple[NotValidConstraint, ValidateConstraint]:
        name = _identifier(_split(self.table)[1], self.column, "not_null_check")
        return online_constraint(self.table, name, f"CHECK ({self.column} IS NOT NULL)")

    @property
    def _set(self) -> str:
        # Squawk cannot see that the validated CHECK spares SET NOT NULL its scan.
        return (
            "-- squawk-ignore adding-not-nullable-field\n"
            f"ALTER TABLE {self.table} ALTER COLUMN {self.column} SET NOT NULL;\n"
            f"ALTER TABLE {self.table} DROP CONSTRAINT {self._check[0].name}"
        )

    @property
    def forwards(self) -> str:
        add, validate = self._check
        return f"{add.forwards};\n{validate.forwards};\n{self._set}"

    @property
    def backwards(self) -> str:
        return (
            f"{self._check[0].backwards};\n"
            f"ALTER TABLE {self.table} ALTER COLUMN {self.column} DROP NOT NULL"
        )

    async def run_forwards(self) -> None:
        what = f"SET NOT NULL on {self.table}.{self.column}"
        refuse_in_transaction(what)
        add, validate = self._check
        await add.run_forwards()
        await validate.run_forwards()
        async with own_session() as (conn, timeouts):
            await with_lock_retries(lambda: atomic(conn, self._set), timeouts, what)

    async def run_backwards(self) -> None:
        await execute(self.backwards)


@dataclass(frozen=True)
class ChangeColumnType:
    """A column's type changed without rewriting the table under an ACCESS
    EXCLUSIVE lock (``ALTER COLUMN ... TYPE`` does): a new column of the new
    type, kept in step with the old one by a trigger, backfilled in batches
    (each its own transaction), then swapped in in one short transaction,
    NOT NULL (through a validated CHECK) and default carried over.
    Backwards does the same towards ``old_type``.

    ``using`` / ``reverse_using`` convert a value (``{column}`` stands for it;
    default a cast). The table needs a one-column primary key (the batches
    follow it). The column's CHECKs are carried over (added to the new
    column NOT VALID, validated, renamed at the swap). Refused, before
    anything changes, for a column in an index or another constraint: drop
    those in an earlier migration and build them again after
    (``ConcurrentIndex``, ``online_constraint``). The column ends up last in
    the table's column order; the backfill leaves ``updated_at`` as it was
    (``platform_db.migrations.backfill``). A change PostgreSQL makes without
    a rewrite (a wider varchar, ...) needs none of this:
    ``platform_db.migrations.generated.AlterColumnType``."""

    table: str
    column: str
    new_type: str
    old_type: str
    using: str = "{column}::{type}"
    reverse_using: str = "{column}::{type}"
    batch_size: int = 10_000

    @property
    def forwards(self) -> str:
        return self._outline(self.new_type, self.using)

    @property
    def backwards(self) -> str:
        return self._outline(self.old_type, self.reverse_using)

    @property
    def depends_on_data(self) -> str:
        return f"ChangeColumnType on {self.table}.{self.column} copies the rows {IN_BATCHES}"

    def _outline(self, to_type: str, using: str) -> str:
        new = self._new_column
        value = using.format(column=self.column, type=to_type)
        return (
            f"ALTER TABLE {self.table} ADD COLUMN {new} {to_type};\n"
            f"-- a trigger keeps {new} = {value}; batches of UPDATE ... SET {new} = {value};\n"
            f"ALTER TABLE {self.table} DROP COLUMN {self.column};\n"
            f"ALTER TABLE {self.table} RENAME COLUMN {new} TO {self.column}"
        )

    @property
    def _new_column(self) -> str:
        return _identifier(self.column, "new")

    async def run_forwards(self) -> None:
        await self._swap(self.new_type, self.using)

    async def run_backwards(self) -> None:
        await self._swap(self.old_type, self.reverse_using)

    async def _swap(self, to_type: str, using: str) -> None:
        what = f"type change of {self.table}.{self.column}"
        schema, table = _split(self.table)
        new = self._new_column
        sync = _identifier(table, self.column, "type_sync")
        async with own_session(what) as (conn, timeouts):
            column = await self._column(conn, what)

            async def run(sql: str) -> None:
                # several statements go in one transaction
                await with_lock_retries(lambda: atomic(conn, sql), timeouts, what)

            await run(f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS {new} {to_type}")
            value = using.format(column=f"NEW.{self.column}", type=to_type)
            await run(f"""CREATE OR REPLACE FUNCTION {schema}.{sync}()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    NEW.{new} := {value};
    RETURN NEW;
END;
$$""")
            await run(
                f"DROP TRIGGER IF EXISTS {sync} ON {self.table};\n"
                f"CREATE TRIGGER {sync} BEFORE INSERT OR UPDATE ON {self.table}\n"
                f"    FOR EACH ROW EXECUTE FUNCTION {schema}.{sync}()"
            )
            async with updated_at_kept(conn, self.table, timeouts, what):
                await backfill(
                    conn,
                    self.table,
                    f"{new} = {using.format(column=f't.{self.column}', type=to_type)}",
                    timeouts,
                    what,
                    self.batch_size,
                )
            # The column's CHECKs, on the new column (validated: writers go on),
            # take the old ones' names once these go with the old column.
            renames = []
            for name, definition in column["checks"] or ():
                carried = _identifier(name, "new")
                moved = _column_word(self.column).sub(new, definition)
                for step in online_constraint(self.table, carried, moved):
                    await step.run_forwards()
                # The CHECK keeps its name for every client: the old one went with its column.
                renames.append(
                    "-- squawk-ignore renaming-object\n"
                    f"ALTER TABLE {self.table} RENAME CONSTRAINT {carried} TO {name}"
                )
            not_null = []
            if column["not_null"]:
                check = SetNotNull(self.table, new)
                add, validate = check._check
                await add.run_forwards()
                await validate.run_forwards()
                not_null = [
                    "-- squawk-ignore adding-not-nullable-field\n"
                    f"ALTER TABLE {self.table} ALTER COLUMN {self.column} SET NOT NULL",
                    f"ALTER TABLE {self.table} DROP CONSTRAINT {add.name}",
                ]
            default = []
            if column["default"] is not None:
                default = [
                    f"ALTER TABLE {self.table} ALTER COLUMN {self.column}"
                    f" SET DEFAULT {column['default']}"  # coerced to the new type
                ]
            statements = [
                f"DROP TRIGGER {sync} ON {self.table}",
                f"-- squawk-ignore ban-drop-function\nDROP FUNCTION {schema}.{sync}()",  # its own
                # The column keeps its name for every client: what is dropped
                # is the old copy (its CHECKs with it), what is renamed is the new one.
                "-- squawk-ignore ban-drop-column\n"
                f"ALTER TABLE {self.table} DROP COLUMN {self.column}",
                "-- squawk-ignore renaming-column\n"
                f"ALTER TABLE {self.table} RENAME COLUMN {new} TO {self.column}",
                *renames,
                *not_null,
                *default,
            ]
            await run(";\n".join(statements))

    async def _column(self, conn, what: str):
        column = await conn.fetchrow(
            BOOKKEEPING + """
            SELECT a.attnum, a.attnotnull AS not_null,
                   pg_get_expr(d.adbin, d.adrelid) AS default,
                   (SELECT string_agg(ic.relname, ', ') FROM pg_index i
                    JOIN pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey)) AS indexes,
                   (SELECT string_agg(c.conname, ', ') FROM pg_constraint c
                    WHERE c.conrelid = a.attrelid AND a.attnum = ANY (c.conkey)
                      AND c.contype NOT IN ('n', 'c')) AS constraints,
                   (SELECT array_agg(ARRAY[c.conname::text, pg_get_constraintdef(c.oid)]
                                     ORDER BY c.conname)
                    FROM pg_constraint c
                    WHERE c.conrelid = a.attrelid AND a.attnum = ANY (c.conkey)
                      AND c.contype = 'c') AS checks
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped
            """,
            self.table,
            self.column,
        )
        if column is None:
            raise OnlineDDLRefused(f"{what}: no such column")
        if column["indexes"] or column["constraints"]:
            raise OnlineDDLRefused(
                f"{what}: the column is in {column['indexes'] or column['constraints']}; drop "
                "it in an earlier migration and build it again after the change"
            )
        if await primary_key(conn, self.table) is None:
            raise OnlineDDLRefused(f"{what}: the table needs a one-column primary key")
        return column


def _column_word(column: str) -> re.Pattern:
    """``column`` as a whole identifier in a constraint's definition."""
    return re.compile(rf"(?<![\w\"'])(\"?){re.escape(column)}\1(?![\w\"'])")


@dataclass
class LiveTableMigrationManager(MigrationManager):
    """A ``MigrationManager`` for tables that hold rows and take writes: its
    generated CHECKs go in through ``online_constraint``.

    Piccolo adds a CHECK with one ``ALTER TABLE ... ADD CONSTRAINT``, which
    scans every row under an ACCESS EXCLUSIVE lock. Here each CHECK of
    ``add_constraint`` is added ``NOT VALID`` (a moment's lock, no scan),
    then validated in a transaction of its own (SHARE UPDATE EXCLUSIVE: reads
    and writes go on). The migration runs outside one transaction for that
    (``wrap_in_transaction=False``): run again after a failure, it adds only
    what is missing. Piccolo's schema snapshot reads the same
    ``add_constraint`` operations as ever, so drift checks are unchanged.
    """

    wrap_in_transaction: bool = False

    async def _run_add_constraints(self, backwards: bool = False):
        if backwards:
            return await super()._run_add_constraints(backwards=True)
        for added in self.add_constraints.add_constraints:
            constraint = added.constraint
            if not isinstance(constraint, Check):
                raise TypeError(
                    f"{constraint._meta.name}: only a CHECK can be added NOT VALID and "
                    "validated afterwards"
                )
            table = f"{added.schema or 'public'}.{added.tablename}"
            for step in online_constraint(table, constraint._meta.name, constraint.ddl):
                await step.run_forwards()
