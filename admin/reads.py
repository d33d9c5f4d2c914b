"""The reads of the admin's own pages (the inspection pages and the
schema-health page), each a function of an asyncpg connection: a page
makes one, through ``admin.read_routing.read``, which a read replica may
answer. Piccolo Admin's own reads go through
``admin.crud.AdminCRUD``.

Queries are plain SQL with parameters; identifiers come from the table
classes, quoted by PostgreSQL's rules, never from the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from piccolo.columns import JSON, Column
from piccolo.table import Table

# A sync running longer than this is "stuck" unless the page says otherwise.
STUCK_AFTER_MINUTES = 60
PAGE_SIZE = 50
TOKEN_STATES = ("none", "expired", "expiring", "valid", "unknown")


# Credentials ------------------------------------------------------------------


async def credentials(
    conn, failing: bool | None = None, token_states: tuple[str, ...] = ()
) -> list[dict]:
    """Rows of servicetitan_credential_overview, failing ones first."""
    rows = await conn.fetch(
        """
        SELECT * FROM servicetitan_credential_overview
        WHERE ($1::boolean IS NULL OR failing = $1)
          AND (cardinality($2::text[]) = 0 OR token_state = ANY ($2::text[]))
        ORDER BY failing DESC, company_name, environment
        """,
        failing,
        list(token_states),
    )
    return [dict(row) for row in rows]


async def credential(conn, credential_id) -> dict | None:
    row = await conn.fetchrow(
        "SELECT * FROM servicetitan_credential_overview WHERE id = $1", credential_id
    )
    return dict(row) if row else None


async def credential_with_syncs(conn, credential_id, syncs: int) -> tuple[dict | None, list[dict]]:
    """A credential's overview row and its last ``syncs`` sync logs
    (one more if there are more), newest first."""
    row = await credential(conn, credential_id)
    if row is None:
        return None, []
    logs = await sync_logs(conn, SyncLogQuery(credential_id=credential_id), limit=syncs + 1)
    return row, logs


# Sync logs ----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncLogQuery:
    credential_id: object = None
    status: str | None = None
    running_for_minutes: int | None = None  # only running logs started that long ago
    page: int = 1


def _with_details(row) -> dict:
    row = dict(row)
    details = row.get("error_details")
    row["error_details"] = json.loads(details) if isinstance(details, str) else details
    return row


# How long a log took, or (running) has run so far, by the database's clock:
# the page's "now" is ``read_at``, the time the page was read.
_TOOK = """
    coalesce(l.completed_at, now() AT TIME ZONE 'UTC') - l.started_at AS took,
    now() AT TIME ZONE 'UTC' AS read_at,
    l.status = 'running'
        AND l.started_at <= now() AT TIME ZONE 'UTC' - make_interval(mins => {stuck}) AS stuck
""".format(stuck=STUCK_AFTER_MINUTES)


async def sync_logs(conn, query: SyncLogQuery, limit: int = PAGE_SIZE) -> list[dict]:
    """Newest first, with the credential's company and environment, how long
    each took or has run so far (``took``, from the times, to the
    microsecond, against the page's ``read_at``) and whether it is stuck;
    the error message whole and the JSON details parsed."""
    rows = await conn.fetch(
        f"""
        SELECT l.*, {_TOOK}, o.company_name, o.environment
        FROM servicetitan_sync_logs l
        JOIN servicetitan_credential_overview o ON o.id = l.servicetitan_credential_id
        WHERE ($1::uuid IS NULL OR l.servicetitan_credential_id = $1)
          AND ($2::text IS NULL OR l.status = $2)
          AND ($3::integer IS NULL OR (
                l.status = 'running'
                -- started_at is a TIMESTAMP holding UTC
                AND l.started_at <= now() AT TIME ZONE 'UTC' - make_interval(mins => $3)))
        ORDER BY l.started_at DESC
        LIMIT $4 OFFSET $5
        """,
        query.credential_id,
        query.status,
        query.running_for_minutes,
        limit,
        (query.page - 1) * limit,
    )
    return [_with_details(row) for row in rows]


async def sync_log(conn, log_id) -> dict | None:
    row = await conn.fetchrow(
        f"""
        SELECT l.*, {_TOOK}, o.company_name, o.environment
        FROM servicetitan_sync_logs l
        JOIN servicetitan_credential_overview o ON o.id = l.servicetitan_credential_id
        WHERE l.id = $1
        """,
        log_id,
    )
    return _with_details(row) if row else None


# The operator's first screen ------------------------------------------------------


async def overview(conn, failed_hours: int) -> dict:
    """The numbers of the home page, in one read: credentials (all, failing,
    by token state), failed syncs of the last ``failed_hours`` hours, syncs
    stuck running longer than STUCK_AFTER_MINUTES."""
    row = await conn.fetchrow(
        """
        SELECT
            (SELECT count(*) FROM servicetitan_credential_overview) AS credentials,
            (SELECT count(*) FROM servicetitan_credential_overview WHERE failing) AS failing,
            (SELECT count(*) FROM servicetitan_credential_overview
             WHERE token_state = 'expired') AS expired,
            (SELECT count(*) FROM servicetitan_credential_overview
             WHERE token_state = 'expiring') AS expiring,
            (SELECT count(*) FROM servicetitan_credential_overview
             WHERE token_state = 'none') AS no_token,
            (SELECT count(*) FROM servicetitan_sync_logs
             WHERE status = 'failed'
               AND started_at >= now() AT TIME ZONE 'UTC' - make_interval(hours => $1))
                AS failed_syncs,
            (SELECT count(*) FROM servicetitan_sync_logs
             WHERE status = 'running'
               AND started_at <= now() AT TIME ZONE 'UTC' - make_interval(mins => $2))
                AS stuck_syncs,
            now() AT TIME ZONE 'UTC' AS read_at
        """,
        failed_hours,
        STUCK_AFTER_MINUTES,
    )
    return dict(row)


# Any table, read-only -------------------------------------------------------------


def qualified(table: type[Table]) -> str:
    return table._meta.get_formatted_tablename(quoted=True)


def _selected(column: Column) -> str:
    name = f'"{column._meta.db_column_name}"'
    if column._meta.secret:
        return f"{name} IS NOT NULL AS {name}"  # "set" / "not set", never the value
    return name


# Piccolo's column_type names a serial column by its DDL, not by its type.
_SERIAL_TYPES = {"SERIAL": "integer", "BIGSERIAL": "bigint"}


def _typed_parameter(column: Column, number: int) -> str:
    # Sent as text, cast by PostgreSQL: a bad value is its one-line error.
    kind = _SERIAL_TYPES.get(column.column_type, column.column_type)
    return f"${number}::text::{kind}"


async def table_rows(
    conn,
    table: type[Table],
    columns: list[Column],
    filters: dict[Column, str],
    order_by: list[tuple[Column, bool]],
    page: int,
) -> list[dict]:
    selected = ", ".join(_selected(c) for c in [table._meta.primary_key, *columns])
    where = " AND ".join(
        f'"{column._meta.db_column_name}" = {_typed_parameter(column, i)}'
        for i, column in enumerate(filters, start=1)
    )
    order = ", ".join(
        f'"{column._meta.db_column_name}" {"ASC" if ascending else "DESC"}'
        for column, ascending in order_by
    )
    sql = (
        f"SELECT {selected} FROM {qualified(table)}"
        + (f" WHERE {where}" if where else "")
        + (f" ORDER BY {order}" if order else "")
        + f" LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}"
    )
    return [dict(row) for row in await conn.fetch(sql, *filters.values())]


async def table_row(conn, table: type[Table], row_id: str) -> dict | None:
    primary_key = table._meta.primary_key
    selected = ", ".join(_selected(c) for c in table._meta.columns)
    row = await conn.fetchrow(
        f"SELECT {selected} FROM {qualified(table)} "
        f'WHERE "{primary_key._meta.db_column_name}" = {_typed_parameter(primary_key, 1)}',
        row_id,
    )
    if row is None:
        return None
    row = dict(row)
    for column in table._meta.columns:
        value = row.get(column._meta.db_column_name)
        if isinstance(column, JSON) and isinstance(value, str) and not column._meta.secret:
            row[column._meta.db_column_name] = json.loads(value)
    return row
