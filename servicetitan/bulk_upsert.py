"""Bulk insert-or-update of ServiceTitan records into a cache table.

The write path is asyncpg, not the ORM (PICCOLO_NOTES.md: Piccolo spends
~200 µs of Python per inserted row): records are parsed in Python
(``servicetitan.records``), COPied in binary into a temporary staging table,
and merged by one ``INSERT … ON CONFLICT (tenant_id, id) DO UPDATE``. The
whole batch is one transaction (a savepoint inside the caller's, when there
is one): it lands entirely or not at all.

A stored row is only replaced by a record at least as new (``modifiedOn``):
an out-of-order page never overwrites newer data, and a record with the
same ``modifiedOn`` and the same content is counted unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from platform_db.connection import connection as connection_for
from platform_db.rejections import DataRejected
from servicetitan.records import BIGINT_RANGE, Rejected, RowLayout, layout_for, parse_batch


class InvalidTenant(DataRejected):
    """A tenant id that is not a positive integer (a PostgreSQL bigint)."""

    def __init__(self, tablename: str, tenant_id):
        super().__init__(
            tablename, "tenant_id", tenant_id, "must be a positive integer (a ServiceTitan tenant id)"
        )


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def successful(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def processed(self) -> int:
        return self.successful + len(self.rejected)

    def add(self, other: UpsertResult, page: int | None = None, file: str | None = None) -> None:
        """Count ``other`` in; its rejects are said to come from ``page`` of ``file``."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += [replace(r, page=page, file=file) for r in other.rejected]


def check_tenant(tablename: str, tenant_id) -> int:
    if type(tenant_id) is not int or tenant_id <= 0 or tenant_id not in BIGINT_RANGE:
        raise InvalidTenant(tablename, tenant_id)
    return tenant_id


@dataclass(frozen=True)
class UpsertSql:
    staging: str
    create_staging: str
    merge: str


@cache
def sql_for(table) -> UpsertSql:
    layout: RowLayout = layout_for(table)
    target = f"{table._meta.schema}.{table._meta.tablename}"
    staging = f"stage_{table._meta.tablename}"
    columns = ", ".join(layout.columns)
    updates = ",\n    ".join(
        f"{column} = excluded.{column}" for column in layout.columns[2:]
    )
    return UpsertSql(
        staging=staging,
        # Kept for the session, emptied at each commit: no catalog churn per
        # batch. CREATE … AS copies the column types and no constraint.
        create_staging=(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {target} WITH NO DATA"
        ),
        merge=f"""
WITH merged AS (
    INSERT INTO {target} AS stored ({columns}, synced_at)
    SELECT {columns}, now() FROM pg_temp.{staging}
    -- Rows are locked in id order, the same in every batch: two concurrent
    -- batches over the same ids then wait for each other instead of
    -- deadlocking (each would hold some rows the other needs).
    ORDER BY id
    ON CONFLICT (tenant_id, id) DO UPDATE SET
    {updates},
    synced_at = excluded.synced_at
    WHERE stored.modified_on IS NULL
       OR excluded.modified_on > stored.modified_on
       OR (excluded.modified_on = stored.modified_on
           AND excluded.full_data IS DISTINCT FROM stored.full_data)
    -- xmax is 0 on a freshly inserted row version, set on an updated one
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM merged
""",
    )


async def upsert(table, tenant_id: int, records, connection=None) -> UpsertResult:
    """Insert or update ``records`` (dicts as ServiceTitan returns them) for
    ``tenant_id``; malformed records are rejected with their reason and the
    rest of the batch still lands.

    The batch runs on ``connection`` if given, else on the current Piccolo
    transaction's connection (``async with DB.transaction():`` then commits
    or rolls it back with the rest), else on one of the pool's."""
    check_tenant(table._meta.tablename, tenant_id)
    rows, rejected, superseded = parse_batch(layout_for(table), tenant_id, records)
    result = UpsertResult(unchanged=superseded, rejected=rejected)
    if not rows:
        return result
    sql = sql_for(table)
    async with connection_for(table, connection) as conn:
        nested = conn.is_in_transaction()
        async with conn.transaction():
            await conn.execute(sql.create_staging)
            if nested:
                # ON COMMIT has not emptied it: the outer transaction is open.
                await conn.execute(f"TRUNCATE pg_temp.{sql.staging}")
            await conn.copy_records_to_table(
                sql.staging, records=rows, columns=layout_for(table).columns
            )
            counts = await conn.fetchrow(sql.merge)
    result.inserted, result.updated = counts["inserted"], counts["updated"]
    result.unchanged += len(rows) - result.inserted - result.updated
    return result
