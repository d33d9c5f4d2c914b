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
from dataclasses import dataclass, field

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


# A count beyond this is not made: the catalog's estimate (no filter) or
# "more than" (a filter) answers in milliseconds whatever the table's size.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class RowsQuery:
    """A page of a read-only table's rows, newest first (``order``, whose
    last column is the primary key), by keyset: the rows after ``after`` or
    before ``before`` (the order's values of a row of the page shown), or
    the oldest page (``last``). A filter in ``prefixes`` matches values that
    start with it (stored digits), and orders by that column first: such a
    page, or an order on a nullable column, is paged by number instead."""

    table: type[Table]
    columns: list[Column]
    filters: dict[Column, str]
    order: list[tuple[Column, bool]]
    prefixes: dict[Column, str] = field(default_factory=dict)
    collated: frozenset[Column] = frozenset()  # compared bytewise (COLLATE "C"): digits
    after: tuple[str, ...] | None = None
    before: tuple[str, ...] | None = None
    last: bool = False
    page: int = 1

    @property
    def by_keyset(self) -> bool:
        return not self.prefixes and all(not column._meta.null for column, _ in self.order)


@dataclass(frozen=True)
class RowsPage:
    rows: list[dict]
    newer: bool  # rows before this page in the order
    older: bool  # rows after it
    count: int
    counted: str  # "exact", "estimate" (the catalog's, the whole table) or "at least"

    def cursor(self, row: dict, order: list[tuple[Column, bool]]) -> str:
        return ",".join(str(row[c._meta.db_column_name]) for c, _ in order)


def _name(column: Column) -> str:
    return f'"{column._meta.db_column_name}"'


def _conditions(query: RowsQuery) -> tuple[list[str], list]:
    conditions, values = [], []
    for column, value in query.filters.items():
        values.append(value)
        collated = {_name(c) for c in query.collated}
        collate = ' COLLATE "C"' if _name(column) in collated else ""
        conditions.append(f"{_name(column)}{collate} = {_typed_parameter(column, len(values))}")
    for column, value in query.prefixes.items():
        values.append(value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        conditions.append(f'{_name(column)} COLLATE "C" LIKE ${len(values)}')
    return conditions, values


async def _count(conn, query: RowsQuery, conditions: list[str], values: list) -> tuple[int, str]:
    """How many rows match: the catalog's estimate for a whole table that
    holds more than COUNT_CAP (one catalog read), else counted up to it."""
    if not conditions:
        estimate = await conn.fetchval(
            """
            SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_class c
            WHERE c.oid = $1::regclass
               OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)
            """,
            qualified(query.table),
        )
        if estimate > COUNT_CAP:
            return estimate, "estimate"
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    capped = await conn.fetchval(
        f"SELECT count(*) FROM (SELECT FROM {qualified(query.table)}{where}"
        f" LIMIT {COUNT_CAP + 1}) AS capped",
        *values,
    )
    if capped <= COUNT_CAP:
        return capped, "exact"
    # Not analyzed yet, or grown since: more than the cap all the same.
    return COUNT_CAP, "at least"


async def table_rows(conn, query: RowsQuery) -> RowsPage:
    order = query.order
    if query.prefixes:  # the index's order: by the value that starts with the prefix
        order = [(column, True) for column in query.prefixes] + order
    names = [_name(c) for c in [query.table._meta.primary_key, *query.columns]]
    selected = ", ".join(
        [_selected(c) for c in [query.table._meta.primary_key, *query.columns]]
        + [_name(c) for c, _ in order if _name(c) not in names]
    )
    conditions, values = _conditions(query)
    count = await _count(conn, query, conditions, values)
    cursor = query.after or query.before
    backwards = bool(query.before) or query.last
    if query.by_keyset and cursor:
        columns = [c for c, _ in order]
        if len(cursor) != len(columns):
            raise ValueError(f"a page mark has {len(columns)} values, not {len(cursor)}")
        descending = not order[0][1]
        after = "<" if descending != bool(query.before) else ">"
        start = len(values)
        values.extend(cursor)
        conditions.append(
            f"({', '.join(_name(c) for c in columns)}) {after} ("
            + ", ".join(_typed_parameter(c, start + n) for n, c in enumerate(columns, start=1))
            + ")"
        )
    direction = {True: "ASC", False: "DESC"}
    prefixed = {_name(c) for c in query.prefixes}
    sql = (
        f"SELECT {selected} FROM {qualified(query.table)}"
        + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
        + " ORDER BY "
        + ", ".join(
            _name(c)
            + (' COLLATE "C"' if _name(c) in prefixed else "")
            + f" {direction[ascending != backwards]}"
            for c, ascending in order
        )
        + f" LIMIT {PAGE_SIZE + 1}"
        + ("" if query.by_keyset else f" OFFSET {(query.page - 1) * PAGE_SIZE}")
    )
    rows = [dict(row) for row in await conn.fetch(sql, *values)]
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    if not query.by_keyset:
        newer, older = query.page > 1, more
    elif backwards:
        newer, older = more, not query.last
    else:
        newer, older = bool(query.after), more
    return RowsPage(rows, newer, older, *count)


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
