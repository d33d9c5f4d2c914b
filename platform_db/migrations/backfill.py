"""Rows rewritten by a migration in batches, each its own short transaction,
following the primary key, without restamping ``updated_at``.

The ``updated_at`` trigger (``platform_db.migrations.updated_at``) stamps
every row an UPDATE touches, the backfill's too: a migration would make
every row look changed now. While a backfill runs, a second BEFORE UPDATE
trigger, named to fire after the table's ``<table>_set_updated_at``
(PostgreSQL fires them by name), puts the old ``updated_at`` back, only in
the backfill's own transactions (``SET LOCAL platform.keep_updated_at``):
the application's writes are stamped as ever.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from platform_db.migrations.names import identifier, split_table
from platform_db.migrations.runner import BOOKKEEPING, Timeouts, with_lock_retries
from platform_db.migrations.steps import OnlineDDLRefused, own_session

KEEP_SETTING = "platform.keep_updated_at"
# How long a batch may hold its rows (writers of those rows wait for it),
# and the batch sizes it moves between (``backfill``).
BATCH_SECONDS = 0.2
START_BATCH = 1_000
MIN_BATCH = 250
# What a batched step's SQL depends on, as ``depends_on_data`` says it (the
# capture of a migration: ``platform_db.migrations.capture.reasons``).
IN_BATCHES = "in batches until none is left (on an empty database: one batch)"


async def primary_key(conn, table: str) -> tuple[str, str] | None:
    """(column, type) of ``table``'s one-column primary key, else None."""
    found = await conn.fetch(
        BOOKKEEPING + "SELECT k.attname, format_type(k.atttypid, k.atttypmod) AS type"
        " FROM pg_index i JOIN pg_attribute k"
        " ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)"
        " WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
        table,
    )
    return (found[0]["attname"], found[0]["type"]) if len(found) == 1 else None


@asynccontextmanager
async def updated_at_kept(conn, table: str, timeouts: Timeouts, what: str) -> AsyncIterator:
    """While inside, the backfill's UPDATEs (``backfill``) leave
    ``updated_at`` as it was; nothing is added to a table without one."""
    stamped = await conn.fetchval(
        BOOKKEEPING + "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid ="
        " to_regclass($1) AND attname = 'updated_at' AND NOT attisdropped)",
        table,
    )
    if not stamped:
        yield
        return
    schema, name = split_table(table)
    keep = identifier(name, "zz_keep_updated_at")

    async def run(sql: str) -> None:
        await with_lock_retries(lambda: conn.execute(sql), timeouts, what)

    await run(f"""CREATE OR REPLACE FUNCTION {schema}.{keep}()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    -- Only in a backfill's own transactions: every other write is stamped.
    IF current_setting('{KEEP_SETTING}', true) = 'on' THEN
        NEW.updated_at := OLD.updated_at;
    END IF;
    RETURN NEW;
END;
$$""")
    await run(
        f"DROP TRIGGER IF EXISTS {keep} ON {table};\n"
        f"CREATE TRIGGER {keep} BEFORE UPDATE ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {schema}.{keep}()"
    )
    try:
        yield
    finally:
        await run(f"DROP TRIGGER IF EXISTS {keep} ON {table}")
        # squawk: its own function, made above
        await run(f"-- squawk-ignore ban-drop-function\nDROP FUNCTION IF EXISTS {schema}.{keep}()")


async def backfill(
    conn,
    table: str,
    assignments: str,
    timeouts: Timeouts,
    what: str,
    batch_size: int = 10_000,
    where: str = "TRUE",
) -> int:
    """``UPDATE table AS t SET <assignments>`` on the rows ``where`` (about
    ``t``), a batch of rows a transaction following the primary key,
    ``updated_at`` kept (inside ``updated_at_kept``); the rows updated.

    A writer that touches a row of a batch waits for the batch's commit, so
    a batch is sized by how long it takes, not only by ``batch_size`` (the
    most rows a batch takes): one that took longer than ``BATCH_SECONDS``
    halves the next (down to ``MIN_BATCH`` rows), one that took under half
    of it doubles the next (up to ``batch_size``). On a busy table the
    batches shrink until each holds its rows for about ``BATCH_SECONDS``;
    on a quiet one they grow to ``batch_size``."""
    key, key_type = await primary_key(conn, table) or (None, None)
    if key is None:
        raise OnlineDDLRefused(f"{what}: the table needs a one-column primary key")

    def batch_sql(after: str, limit: str) -> str:
        return (
            f"UPDATE {table} AS t SET {assignments}\n"
            f"FROM (SELECT {key} FROM {table} AS t\n"
            f"      WHERE {after}({where})\n"
            f"      ORDER BY {key} LIMIT {limit}) AS batch\n"
            f"WHERE t.{key} = batch.{key} RETURNING t.{key} AS key"
        )

    # Two statements, not "($1 IS NULL OR key > $1)": a generic plan of that
    # (the 6th run of a prepared statement on) walks the key's index from its
    # start every batch, which made a backfill quadratic in the table's size.
    first, rest = batch_sql("", "$1"), batch_sql(f"{key} > $2::{key_type} AND ", "$1")
    last, done = None, 0
    most = max(1, int(batch_size))
    size = min(most, START_BATCH)

    async def batch():
        async with conn.transaction():
            await conn.execute(f"SET LOCAL {KEEP_SETTING} = on")
            if last is None:
                return await conn.fetch(first, size)
            return await conn.fetch(rest, size, last)

    while True:
        started = time.perf_counter()
        rows = await with_lock_retries(batch, timeouts, what)
        took = time.perf_counter() - started
        if not rows:
            return done
        done += len(rows)
        last = max(r["key"] for r in rows)
        size = next_batch_size(size, took, most)


def next_batch_size(size: int, took: float, most: int) -> int:
    """The next batch's rows after one of ``size`` rows took ``took`` seconds."""
    if took > BATCH_SECONDS:
        return max(min(MIN_BATCH, most), size // 2)
    if took < BATCH_SECONDS / 2:
        return min(most, size * 2)
    return size


@dataclass(frozen=True)
class Backfill:
    """A migration step: ``UPDATE table AS t SET <assignments>`` on the rows
    ``where``, in batches (``backfill``), ``updated_at`` kept; e.g. the copy
    of an expand step, ``Backfill("public.clients", "mobile = t.phone",
    "t.mobile IS NULL")``. For a migration with ``wrap_in_transaction=False``.
    Its backwards does nothing: the step before it (the column it fills)
    carries the reverse."""

    table: str
    assignments: str
    where: str = "TRUE"
    batch_size: int = 10_000

    @property
    def depends_on_data(self) -> str:
        return f"Backfill of {self.table} ({self.assignments}) updates the rows {IN_BATCHES}"

    async def run_forwards(self) -> None:
        what = f"backfill of {self.table} ({self.assignments})"
        async with own_session(what) as (conn, timeouts):
            async with updated_at_kept(conn, self.table, timeouts, what):
                await backfill(
                    conn, self.table, self.assignments, timeouts, what, self.batch_size, self.where
                )

    async def run_backwards(self) -> None:
        return None
