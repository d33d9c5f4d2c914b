"""``raw.sync_state``: per tenant and cached table, when it was last synced,
how many records the last run synced, the last error, and where its export
feed stands (``continue_from``, ``caught_up_at``).

The feed's position moves only inside the transaction that caches the
page it belongs to (``record_page``, called by ``servicetitan.sync.feeds``
on the page's own connection): a sync stopped at any moment, ``kill -9``
included, resumes from the last page that was committed, with that page's
records cached and no later one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from piccolo.columns import UUID, BigInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from platform_db.values.choices import coerce, values_check
from platform_db.values.guarded import Guarded

SCHEMA = "raw"


class CachedTable(str, Enum):
    """The tables ``raw.sync_state`` keeps state for."""

    st_locations = "st_locations"
    st_customers = "st_customers"
    st_jobs = "st_jobs"
    st_appointments = "st_appointments"
    st_appointment_assignments = "st_appointment_assignments"
    st_technicians = "st_technicians"
    st_invoices = "st_invoices"


@dataclass(frozen=True)
class FeedPosition:
    """Where a tenant's export feed of one table stands: the ``continueFrom``
    to ask for next (None: the feed's beginning), when the feed last said it
    had no more (None: not since the position last moved), and the
    database's clock when this was read."""

    continue_from: str | None
    caught_up_at: datetime | None
    read_at: datetime


class SyncState(Guarded, Table, tablename="sync_state", schema=SCHEMA):
    """Per tenant and cached table: when it was last synced, how many records
    the last run synced, the last error (cleared by a successful run), and
    the position of its export feed."""

    id = UUID(primary_key=True)
    tenant_id = BigInt(null=False, default=None)
    table_name = Varchar(length=63, null=False, default=None, choices=CachedTable)
    last_full_sync = Timestamptz(null=True, default=None)
    last_incremental_sync = Timestamptz(null=True, default=None)
    records_synced = BigInt(null=False, default=0)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(null=False, default=TimestamptzNow())
    updated_at = Timestamptz(null=False, default=TimestamptzNow())
    # The export feed's continueFrom after the last committed page: where
    # the next sync of this feed starts. NULL: at the feed's beginning.
    continue_from = Text(null=True, default=None)
    # When the feed last answered hasMore: false (caught up); NULL once a
    # page with more after it moved the position. ServiceTitan asks a
    # caught-up consumer to wait 5 to 10 minutes before asking again.
    caught_up_at = Timestamptz(null=True, default=None)

    sync_state_tenant_id_table_name_key = Unique(["tenant_id", "table_name"])
    # Named for its values: Piccolo diffs constraints by name only, so a
    # widened CHECK is a new constraint (as servicetitan_sync_logs' data_type).
    sync_state_table_name_7_values = values_check("table_name", CachedTable)
    sync_state_records_synced_not_negative = Check("records_synced >= 0")

    @classmethod
    async def record_success(
        cls, tenant_id: int, table_name: str, full: bool, synced_as_of: datetime, records: int
    ) -> None:
        """A run finished: ``synced_as_of`` (when it started, so an incremental
        run from there misses nothing) becomes the last full or incremental
        sync, and the last error is cleared."""
        column = "last_full_sync" if full else "last_incremental_sync"
        await cls.raw(
            f"""
            INSERT INTO {SCHEMA}.sync_state AS state
                (tenant_id, table_name, {column}, records_synced, last_error)
            VALUES ({{}}, {{}}, {{}}, {{}}, NULL)
            ON CONFLICT (tenant_id, table_name) DO UPDATE SET
                {column} = excluded.{column},
                records_synced = excluded.records_synced,
                last_error = NULL
            """,
            tenant_id,
            cls._table_name(table_name),
            synced_as_of,
            records,
        )

    @classmethod
    async def record_failure(cls, tenant_id: int, table_name: str, error: str) -> None:
        """A run failed: only ``last_error`` changes."""
        await cls.raw(
            f"""
            INSERT INTO {SCHEMA}.sync_state AS state (tenant_id, table_name, last_error)
            VALUES ({{}}, {{}}, {{}})
            ON CONFLICT (tenant_id, table_name) DO UPDATE SET last_error = excluded.last_error
            """,
            tenant_id,
            cls._table_name(table_name),
            error,
        )

    @classmethod
    async def record_page(
        cls, connection, tenant_id: int, table_name: str, continue_from: str | None, caught_up: bool
    ) -> None:
        """A page of the feed is cached: the feed goes on from
        ``continue_from``, and was caught up now if ``caught_up``. Run on the
        connection whose transaction caches the page, so both commit
        together or neither does."""
        await connection.execute(
            f"""
            INSERT INTO {SCHEMA}.sync_state AS state
                (tenant_id, table_name, continue_from, caught_up_at)
            VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END)
            ON CONFLICT (tenant_id, table_name) DO UPDATE SET
                continue_from = excluded.continue_from,
                caught_up_at = excluded.caught_up_at
            """,
            tenant_id,
            cls._table_name(table_name),
            continue_from,
            caught_up,
        )

    @classmethod
    async def position(cls, tenant_id: int, table_name: str) -> FeedPosition:
        """Where the tenant's feed of ``table_name`` stands (its beginning if
        it was never synced), with the database's clock."""
        rows = await cls.raw(
            f"""
            SELECT state.continue_from, state.caught_up_at, now() AS read_at
            FROM (SELECT 1) AS one
            LEFT JOIN {SCHEMA}.sync_state AS state
                ON state.tenant_id = {{}} AND state.table_name = {{}}
            """,
            tenant_id,
            cls._table_name(table_name),
        )
        return FeedPosition(**rows[0])

    @classmethod
    def _table_name(cls, table_name: str) -> str:
        return coerce(f"{SCHEMA}.sync_state", "table_name", table_name, CachedTable).value
