"""Promoted columns derived again from ``full_data``, for rows already cached.

A sync never parses a record cached at the same version again
(``servicetitan.cache.bulk_upsert``: the same digest settles it, and nothing is
written), so a promoted column added to a cache table later, or a fix to a
parser, never reaches the rows already cached through a re-sync: they keep
NULL (or the old value) until ServiceTitan changes the record.
``backfill_promoted(table, columns)`` parses each stored record again with
today's parsers (the sync's own, ``servicetitan.cache.records``) and writes the
columns whose value differs:

- in batches of ``BATCH`` rows in ``(tenant_id, id)`` order (the table's
  unique index), each its own transaction: a batch's rows are locked for one
  statement, and a run that stopped is finished by running it again (rows
  already right are not written);
- by compare-and-set on ``full_data_digest``: a row a sync replaced after
  the batch read it keeps the sync's values (parsed by the same parsers);
- a stored record today's parsers refuse is left as it is and reported.

Run it from a data migration placed after the one that adds the column
(README, "ServiceTitan cache").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from platform_db.database.connection import connection as connection_for
from servicetitan.cache.records import RecordRejected, RowLayout, Sent, layout_for

BATCH = 1000


@dataclass
class BackfillResult:
    checked: int = 0  # rows read and parsed again
    written: int = 0  # rows whose columns were rewritten
    # (tenant_id, id, why) of stored records today's parsers refuse: left as they are
    rejected: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Backfill:
    """The SQL of one table's backfill of ``columns``."""

    layout: RowLayout  # the table's layout, its fields narrowed to ``columns``
    read_sql: str
    stage_sql: str
    write_sql: str
    staging: str

    @classmethod
    def of(cls, table, columns: Sequence[str] | None) -> Backfill:
        layout = layout_for(table)
        promoted = [name for name, *_ in layout.fields]
        columns = promoted if columns is None else list(columns)
        unknown = [name for name in columns if name not in promoted]
        if unknown or not columns:
            raise ValueError(
                f"{table._meta.tablename}: {', '.join(unknown) or 'no column'} is not a "
                f"promoted column (its API_FIELDS: {', '.join(promoted)})"
            )
        target = f"{table._meta.schema}.{table._meta.tablename}"
        staging = f"backfill_{table._meta.tablename}"
        listed = ", ".join(columns)
        return cls(
            layout=replace(layout, fields=tuple(f for f in layout.fields if f[0] in columns)),
            read_sql=f"""
SELECT tenant_id, id, full_data_digest, full_data::text AS full_data
FROM {target}
WHERE (tenant_id, id) > ($1, $2)
ORDER BY tenant_id, id
LIMIT $3
""",
            stage_sql=(
                f"CREATE TEMP TABLE {staging} AS "
                f"SELECT tenant_id, id, full_data_digest, {listed} FROM {target} WITH NO DATA"
            ),
            write_sql=f"""
WITH written AS (
    UPDATE {target} AS stored
    SET {", ".join(f"{name} = parsed.{name}" for name in columns)}
    FROM pg_temp.{staging} AS parsed
    WHERE stored.tenant_id = parsed.tenant_id
      AND stored.id = parsed.id
      AND stored.full_data_digest IS NOT DISTINCT FROM parsed.full_data_digest
      AND ({", ".join(f"stored.{name}" for name in columns)})
          IS DISTINCT FROM ({", ".join(f"parsed.{name}" for name in columns)})
    RETURNING 1
)
SELECT count(*) FROM written
""",
            staging=staging,
        )

    @property
    def staged_columns(self) -> list[str]:
        return ["tenant_id", "id", "full_data_digest", *(name for name, *_ in self.layout.fields)]

    def parsed(self, rows, result: BackfillResult) -> list[tuple]:
        """Each row's columns as a sync would write them today; a record the
        parsers refuse is counted in ``result.rejected`` instead."""
        staged = []
        for row in rows:
            sent = Sent(0, json.loads(row["full_data"]), row["id"], None, "", None)
            try:
                values = self.layout.row(row["tenant_id"], sent)[2:-2]
            except RecordRejected as exc:
                result.rejected.append((row["tenant_id"], row["id"], str(exc)))
                continue
            staged.append((row["tenant_id"], row["id"], row["full_data_digest"], *values))
        return staged

    async def write(self, conn, staged: list[tuple]) -> int:
        """Rows of ``staged`` written where they differ and the row is still
        the one read; the staging table lives for this transaction only."""
        async with conn.transaction():
            await conn.execute(self.stage_sql)
            await conn.copy_records_to_table(
                self.staging, records=staged, columns=self.staged_columns
            )
            written = await conn.fetchval(self.write_sql)
            await conn.execute(f"DROP TABLE pg_temp.{self.staging}")
        return written


async def backfill_promoted(
    table, columns: Sequence[str] | None = None, batch_size: int = BATCH, connection=None
) -> BackfillResult:
    """Derive ``columns`` (default: every promoted column of ``table``) again
    from each cached record's ``full_data``, writing only what differs."""
    backfill = Backfill.of(table, columns)
    result = BackfillResult()
    after = (0, 0)
    async with connection_for(table, connection) as conn:
        while rows := await conn.fetch(backfill.read_sql, *after, batch_size):
            after = (rows[-1]["tenant_id"], rows[-1]["id"])
            result.checked += len(rows)
            staged = backfill.parsed(rows, result)
            if staged:
                result.written += await backfill.write(conn, staged)
    return result
