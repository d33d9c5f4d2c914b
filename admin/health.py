"""What the schema-health page reports, each part read by a small function
that takes an asyncpg connection (``report`` reads them all, on a read
replica when one is fit: ``admin.read_routing``), and what the engine last
measured of its replicas.

Every part reads the catalog first, so the page works whatever the other apps
have installed yet: a missing table is reported as missing, not as an error.
What ``report`` reads is replayed on a standby (the catalog, ``migration``,
exact counts). The partitions of ``messages`` are read on the primary
(``partitions_on_the_primary``): a month's row count is an estimate that, for a
partition never analyzed yet, comes from the cumulative statistics, which a
standby keeps of its own (it would say 0 rows), as ``business.maintenance``
keeps its estimates on the primary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.conf.apps import AppConfig
from piccolo.engine import engine_finder

from admin import reads
from platform_db.database.replicas import read as read_routed

MESSAGES_TABLE = "public.messages"
SYNC_STATE_TABLE = "raw.sync_state"
FAILED_SYNC_HOURS = 24


async def _exists(conn, relation: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", relation)


@dataclass(frozen=True)
class AppMigrations:
    app_name: str
    applied: list[tuple[str, datetime]]  # (migration id, ran on)
    pending: list[str]
    unknown: list[str]  # recorded as applied, but no such migration file


async def applied_migrations(conn) -> dict[str, dict[str, datetime]]:
    """Piccolo's ``migration`` table: app name -> {migration id: ran on}."""
    if not await _exists(conn, "public.migration"):
        return {}
    rows = await conn.fetch("SELECT app_name, name, ran_on FROM migration ORDER BY id")
    applied: dict[str, dict[str, datetime]] = {}
    for row in rows:
        applied.setdefault(row["app_name"], {})[row["name"]] = row["ran_on"]
    return applied


def migration_ids(app_config: AppConfig) -> list[str]:
    """The IDs of the app's migration files, oldest first."""
    folder = app_config.resolved_migrations_folder_path
    return sorted(BaseMigrationManager().get_migration_modules(folder))


async def migrations_by_app(conn, app_configs: list[AppConfig]) -> list[AppMigrations]:
    applied = await applied_migrations(conn)
    report = []
    for app in app_configs:
        ran = applied.get(app.app_name, {})
        known = migration_ids(app)
        report.append(
            AppMigrations(
                app_name=app.app_name,
                applied=[(m, ran[m]) for m in known if m in ran],
                pending=[m for m in known if m not in ran],
                unknown=sorted(set(ran) - set(known)),
            )
        )
    return report


# Enough to say how bad it is; more would only make the page slow.
DEFAULT_COUNT_CAP = 100_000


@dataclass(frozen=True)
class Partition:
    name: str
    bounds: str  # as PostgreSQL prints it, e.g. FOR VALUES FROM (...) TO (...)
    lower: datetime | None  # None for the DEFAULT partition
    upper: datetime | None
    rows: int
    size_bytes: int
    size: str  # pg_size_pretty
    exact: bool  # rows counted (DEFAULT), or estimated from the catalog (a month)

    @property
    def is_default(self) -> bool:
        return self.bounds == "DEFAULT"

    @property
    def at_cap(self) -> bool:
        """Counted up to ``DEFAULT_COUNT_CAP`` and stopped there."""
        return self.exact and self.rows >= DEFAULT_COUNT_CAP


@dataclass(frozen=True)
class PartitionReport:
    partitions: list[Partition]
    months_ahead: int  # whole months after the current one, covered without a gap
    current_month_covered: bool
    default_rows: int | None  # None when there is no DEFAULT partition

    @property
    def default_at_cap(self) -> bool:
        """DEFAULT counted up to ``DEFAULT_COUNT_CAP``: it holds at least that many."""
        return any(p.is_default and p.at_cap for p in self.partitions)


async def messages_partitions(
    conn, table: str = MESSAGES_TABLE, now: datetime | None = None
) -> PartitionReport | None:
    """The partitions of ``table`` from pg_inherits; None if it does not exist.

    A month's rows are the catalog's estimate (``public.estimated_rows``, as
    ``get_messages_stats()`` gives them): counting them would scan the whole
    history each time the page is opened. The DEFAULT partition's rows are
    counted, up to ``DEFAULT_COUNT_CAP``: it is meant to stay empty, and any
    row in it is a month without its partition, which the page must not miss
    because the statistics have not seen it yet."""
    if not await _exists(conn, table):
        return None
    # A database migrated to before estimated_rows existed gets counts.
    estimated = (
        "public.estimated_rows(c.oid)"
        if await conn.fetchval(
            "SELECT to_regprocedure('public.estimated_rows(regclass)') IS NOT NULL"
        )
        else "NULL::bigint"
    )
    rows = await conn.fetch(
        rf"""
        SELECT format('%I.%I', n.nspname, c.relname) AS qualified,
               c.relname AS name,
               pg_get_expr(c.relpartbound, c.oid) AS bounds,
               pg_total_relation_size(c.oid) AS size_bytes,
               pg_size_pretty(pg_total_relation_size(c.oid)) AS size,
               {estimated} AS estimated
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = $1::regclass
        ORDER BY c.relname
        """,
        table,
    )
    partitions = []
    for row in rows:
        lower, upper = await _range_bounds(conn, row["bounds"])
        exact = row["bounds"] == "DEFAULT" or row["estimated"] is None
        count = (
            await conn.fetchval(
                f"SELECT count(*) FROM (SELECT FROM {row['qualified']} LIMIT $1) AS capped",
                DEFAULT_COUNT_CAP,
            )
            if exact
            else row["estimated"]
        )
        partitions.append(
            Partition(
                row["name"],
                row["bounds"],
                lower,
                upper,
                count,
                row["size_bytes"],
                row["size"],
                exact,
            )
        )
    covered, ahead = _coverage(partitions, now or datetime.now(timezone.utc))
    defaults = [p.rows for p in partitions if p.is_default]
    return PartitionReport(partitions, ahead, covered, defaults[0] if defaults else None)


async def _range_bounds(conn, bounds: str) -> tuple[datetime | None, datetime | None]:
    """The FROM / TO of a single-column range partition, read by PostgreSQL
    itself as timestamptz (in the connection's time zone, UTC)."""
    row = await conn.fetchrow(
        r"""
        SELECT m[1]::timestamptz AS lower, m[2]::timestamptz AS upper
        FROM regexp_match($1, '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') AS m
        """,
        bounds,
    )
    return (row["lower"], row["upper"]) if row else (None, None)


def _months_between(start: datetime, end: datetime) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _coverage(partitions: list[Partition], now: datetime) -> tuple[bool, int]:
    """Whether ``now`` falls in a range partition, and how many whole months
    after the current one the ranges cover without a gap."""
    now = now.astimezone(timezone.utc)
    covered_until = None
    for lower, upper in sorted((p.lower, p.upper) for p in partitions if p.lower and p.upper):
        if covered_until is None and lower <= now < upper:
            covered_until = upper
        elif covered_until is not None and lower == covered_until:
            covered_until = upper
    if covered_until is None:
        return False, 0
    # The month that covered_until falls in is covered only in part (or not
    # at all when it starts that month), so it does not count.
    return True, max(0, _months_between(now, covered_until.astimezone(timezone.utc)) - 1)


async def sync_state(conn, table: str = SYNC_STATE_TABLE) -> list[dict] | None:
    """The last sync per tenant and cached table; None if there is no table."""
    if not await _exists(conn, table):
        return None
    rows = await conn.fetch(f"""
        SELECT tenant_id, table_name, last_full_sync, last_incremental_sync,
               records_synced, last_error
        FROM {table}
        ORDER BY tenant_id, table_name
        """)
    return [dict(row) for row in rows]


async def failed_sync_logs(conn, hours: int = FAILED_SYNC_HOURS) -> list[dict] | None:
    """Failed ServiceTitan syncs started in the last ``hours`` hours, newest
    first, with the company and environment of their credential; None if
    the servicetitan app is not migrated."""
    if not await _exists(conn, "public.servicetitan_sync_logs"):
        return None
    rows = await conn.fetch(
        """
        SELECT l.id, l.started_at, l.sync_type, l.data_type,
               l.records_processed, l.records_failed, l.error_message,
               co.name AS company, cr.environment
        FROM servicetitan_sync_logs l
        JOIN servicetitan_credentials cr ON cr.id = l.servicetitan_credential_id
        JOIN companies co ON co.id = cr.company_id
        WHERE l.status = 'failed'
          -- started_at is a TIMESTAMP holding UTC
          AND l.started_at >= (now() AT TIME ZONE 'UTC') - make_interval(hours => $1)
        ORDER BY l.started_at DESC
        """,
        hours,
    )
    return [dict(row) for row in rows]


OVERVIEW_VIEW = "public.servicetitan_credential_overview"


async def stuck_syncs(conn, minutes: int = reads.STUCK_AFTER_MINUTES) -> list[dict] | None:
    """Syncs still ``running`` that started more than ``minutes`` ago."""
    if not await _exists(conn, OVERVIEW_VIEW):
        return None
    return await reads.sync_logs(conn, reads.SyncLogQuery(running_for_minutes=minutes))


async def credentials_in_trouble(conn) -> dict[str, list[dict]] | None:
    """Credentials in ``error``, and those whose token has expired."""
    if not await _exists(conn, OVERVIEW_VIEW):
        return None
    rows = await reads.credentials(conn)
    return {
        "error": [row for row in rows if row["connection_status"] == "error"],
        "expired": [row for row in rows if row["token_state"] == "expired"],
    }


@dataclass(frozen=True)
class ReplicaState:
    node: str
    lag: float | None  # seconds behind the primary, as last measured
    problem: str | None  # why it answers no read at all
    measured_ago: float | None  # seconds; None: not measured yet
    max_lag: float

    @property
    def answering(self) -> bool:
        return self.problem is None and self.lag is not None and self.lag <= self.max_lag


def replicas() -> list[ReplicaState]:
    """The engine's replicas as its router last measured them (none
    configured: an empty list)."""
    router = getattr(engine_finder(), "replicas", None)
    if router is None:
        return []
    states = []
    for name, health in zip(router.nodes, router.health()):
        max_lag = router.settings.max_lag
        if health is None:
            states.append(ReplicaState(name, None, "not measured yet", None, max_lag))
            continue
        ago = max(0.0, time.monotonic() - health.measured_at)
        states.append(ReplicaState(name, health.lag, health.problem, ago, max_lag))
    return states


@dataclass(frozen=True)
class HealthReport:
    migrations: list[AppMigrations]
    partitions: PartitionReport | None
    sync_state: list[dict] | None
    failed_syncs: list[dict] | None
    stuck_syncs: list[dict] | None
    credentials: dict[str, list[dict]] | None
    read_from_standby: bool = False
    stuck_after_minutes: int = reads.STUCK_AFTER_MINUTES
    failed_sync_hours: int = FAILED_SYNC_HOURS


async def partitions_on_the_primary() -> PartitionReport | None:
    return await read_routed(messages_partitions, stale_ok=False)


async def report(conn, app_configs: list[AppConfig]) -> HealthReport:
    """Every part but the partitions, which ``partitions_on_the_primary`` reads."""
    return HealthReport(
        migrations=await migrations_by_app(conn, app_configs),
        partitions=None,
        sync_state=await sync_state(conn),
        failed_syncs=await failed_sync_logs(conn),
        stuck_syncs=await stuck_syncs(conn),
        credentials=await credentials_in_trouble(conn),
        read_from_standby=await conn.fetchval("SELECT pg_is_in_recovery()"),
    )
