"""Read replicas: reads that may be a little stale go to a streaming
replica fit to answer them, everything else to the primary.

``DATABASE_REPLICA_URLS`` (comma-separated) names the replicas; each becomes
one of Piccolo's ``extra_nodes`` of the engine (``replica_1``, ...), so
``query.run(node="replica_1")`` is Piccolo's own way to reach it. What this
module adds is the choice of node:

- a reader says it accepts staleness, and how much: ``with stale_reads():``
  around Piccolo queries, ``read(fn)`` for a function of an asyncpg
  connection, ``fetch(table, sql, stale_ok=True)`` (platform_db.database.connection);
- a replica answers it only while it is within the bound
  (``DATABASE_REPLICA_MAX_LAG``, seconds) of the primary, it is a standby
  (``pg_is_in_recovery()``) and it is streaming from its primary. How far
  behind is measured against the primary itself: the WAL position the
  primary had reached when last asked that the replica has replayed (a
  replica whose WAL receipt stalled has replayed all it received, and is
  still behind), else its last replayed commit's time;
- the lag is re-measured in the background at most every
  ``DATABASE_REPLICA_CHECK_INTERVAL`` seconds, and between measurements it
  is counted as growing by the time elapsed (so a replica is never taken for
  fresher than it can be); a reader never waits for a measurement, and a
  measurement never waits on a dead replica longer than
  ``DATABASE_REPLICA_CONNECT_TIMEOUT``;
- each replica is asked, before its first read, whether it is reached
  through a transaction pooler (a PgBouncer of its own), and its connections
  are set up for that (no named prepared statements, no reset): whatever
  ``DATABASE_URL`` goes through says nothing of a replica;
- a replica that fails a read, whatever the error (down, shutting down, the
  read cancelled by a conflict with recovery, a table not replayed yet, a
  function a standby refuses, a pooler's refusal), is skipped and the read
  runs again on the primary; one that is down is skipped until a later
  measurement finds it fit;
- inside a transaction (``async with DB.transaction():``) every read stays
  on the primary: the transaction may be reading its own writes;
- only statements that read go to a replica: a Piccolo query inside
  ``stale_reads()`` that writes or locks rows (``INSERT``, ``UPDATE``,
  ``DELETE``, ``SELECT ... FOR UPDATE``) runs on the primary, as does every
  bulk path of ``platform_db.database.connection`` but ``fetch(..., stale_ok=True)``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from platform_db.database.engine import LazyEngine, engine_config, engine_connection
from platform_db.database.pooler import POOLED_SETTINGS, behind_pooler
from platform_db.database.replica_lag import (
    POSITIONS_KEPT,
    PRIMARY_POSITION_SQL,
    REPLICA_SQL,
    WalPosition,
    replica_lag,
)
from platform_db.database.urls import redacted

REPLICA_URLS_ENV = "DATABASE_REPLICA_URLS"
MAX_LAG_ENV = "DATABASE_REPLICA_MAX_LAG"
CONNECT_TIMEOUT_ENV = "DATABASE_REPLICA_CONNECT_TIMEOUT"
CHECK_INTERVAL_ENV = "DATABASE_REPLICA_CHECK_INTERVAL"

# A replica is down (or going): skip it until a measurement finds it fit.
# Any other error of a replica only sends that read to the primary.
REPLICA_DOWN = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    # A pooled connection whose server shut down while it was idle: asyncpg
    # 0.32 leaves it waiting for the end of the error it was sent.
    asyncpg.InternalClientError,
)

_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_LOCKING = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)

T = TypeVar("T")


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a number of seconds greater than 0, not {text!r}")
    return value


@dataclass(frozen=True)
class ReplicaSettings:
    """How stale a replica may be, and how long it may take to answer."""

    max_lag: float = 5.0
    connect_timeout: float = 2.0
    check_interval: float = 1.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ReplicaSettings:
        return cls(
            max_lag=_seconds(environ, MAX_LAG_ENV, cls.max_lag),
            connect_timeout=_seconds(environ, CONNECT_TIMEOUT_ENV, cls.connect_timeout),
            check_interval=_seconds(environ, CHECK_INTERVAL_ENV, cls.check_interval),
        )


def replica_urls(environ: Mapping[str, str] = os.environ) -> list[str]:
    """``DATABASE_REPLICA_URLS``, split; each must be a postgresql:// URL."""
    urls = [url.strip() for url in environ.get(REPLICA_URLS_ENV, "").split(",") if url.strip()]
    for url in urls:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                f"{REPLICA_URLS_ENV} holds {redacted(url)!r}, which is not a postgresql:// URL"
            )
    return urls


class ReplicaNode(PostgresEngine):
    """One replica. Piccolo's engine checks the server's version when it is
    created, connecting at import (and waiting on a dead replica): the
    router measures replicas instead, when reads need them. Its connections
    are set up once it is known whether it is reached through a transaction
    pooler (``settle``): its pool starts then."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pooler: bool | None = None  # what its connections are set up for (None: not yet)
        self.settled = False  # asked since it was last found down
        self._pool_settings: dict | None = None

    async def check_version(self) -> None:
        return None

    async def settle(self) -> None:
        """Ask the server at this replica's address whether it is reached
        through a pooler, and set up the node's connections (and restart its
        pool) for what it is."""
        probe = await asyncpg.connect(**{**self.config, **POOLED_SETTINGS})
        try:
            pooler = await behind_pooler(probe)
        finally:
            await probe.close()
        self.settled = True
        if pooler == self.pooler:
            return
        direct = {k: v for k, v in self.config.items() if k not in POOLED_SETTINGS}
        self.config = {**direct, **(POOLED_SETTINGS if pooler else {})}
        self.pooler = pooler
        if self.pool is not None:
            await super().close_connection_pool()
        if self._pool_settings is not None:
            await super().start_connection_pool(**self._pool_settings)

    async def start_connection_pool(self, **kwargs) -> None:
        self._pool_settings = kwargs
        if self.pooler is not None:
            await super().start_connection_pool(**kwargs)

    async def close_connection_pool(self) -> None:
        self._pool_settings = None
        if self.pool is not None:
            await super().close_connection_pool()


def replica_nodes(
    urls: list[str] | None = None, settings: ReplicaSettings | None = None
) -> dict[str, PostgresEngine]:
    """Piccolo ``extra_nodes`` for the replicas: ``replica_1``, ``replica_2``, ..."""
    urls = replica_urls() if urls is None else urls
    settings = settings or ReplicaSettings.from_env()
    return {
        f"replica_{number}": ReplicaNode(
            config={**engine_config(url, pooled=False), "timeout": settings.connect_timeout}
        )
        for number, url in enumerate(urls, start=1)
    }


@dataclass(frozen=True)
class ReplicaHealth:
    """What the last measurement of one replica found."""

    node: str
    measured_at: float  # time.monotonic()
    lag: float | None  # seconds behind the primary, when it could be measured
    problem: str | None  # why it may not answer at all

    def lag_now(self) -> float | None:
        """The lag as it may be by now: it grows with the time since measured."""
        if self.lag is None:
            return None
        return self.lag + (time.monotonic() - self.measured_at)

    def fit(self, max_lag: float) -> bool:
        lag = self.lag_now()
        return self.problem is None and lag is not None and lag <= max_lag


def _problem(exc: BaseException) -> str:
    detail = f": {exc}" if str(exc) else ""
    return f"unreachable ({type(exc).__name__}{detail})"


@dataclass
class Router:
    """Chooses, for each read that may be stale, a replica fit to answer."""

    primary: PostgresEngine
    settings: ReplicaSettings = field(default_factory=ReplicaSettings.from_env)
    _health: dict[str, ReplicaHealth] = field(default_factory=dict)
    _checks: dict[str, asyncio.Task] = field(default_factory=dict)
    _turn: Iterator[int] = field(default_factory=itertools.count)
    _positions: deque[WalPosition] = field(default_factory=lambda: deque(maxlen=POSITIONS_KEPT))

    @property
    def nodes(self) -> Mapping[str, PostgresEngine]:
        return self.primary.extra_nodes

    def health(self) -> list[ReplicaHealth | None]:
        """The last measurement of each replica (None: not measured yet)."""
        return [self._health.get(name) for name in self.nodes]

    async def measure(self, name: str) -> ReplicaHealth:
        """Measure one replica now, against the primary's position asked
        just before; neither is waited for longer than the connect timeout."""
        engine = self.nodes[name]
        started = time.monotonic()
        timeout = self.settings.connect_timeout
        try:
            primary = await asyncio.wait_for(self.primary_position(), timeout)
        except Exception as exc:  # a probe in the background: whatever fails, say so
            problem = f"lag unknown: the primary's WAL position could not be read ({exc!r})"
            return self._record(ReplicaHealth(name, started, None, problem))
        try:
            row = await asyncio.wait_for(self._replica_row(engine), timeout)
        except REPLICA_DOWN as exc:
            await self.mark_down(name, exc)
            return self._health[name]
        except Exception as exc:
            return self._record(ReplicaHealth(name, started, None, f"cannot be measured ({exc!r})"))
        lag = replica_lag(primary, self._positions, row["replayed"], row["replayed_commit_at"])
        self._positions.append(primary)
        if not row["in_recovery"]:
            problem = "not in recovery: a primary (or a promoted standby), not a replica"
        elif not row["streaming"]:
            problem = "not streaming from its primary: how far behind it is is unknown"
        elif lag is None:
            problem = (
                "replaying, lag unknown: it has reached no position of the primary measured "
                "lately and replayed no commit since it started"
            )
        else:
            problem = None
        return self._record(ReplicaHealth(name, primary.asked_at, lag, problem))

    def _record(self, health: ReplicaHealth) -> ReplicaHealth:
        """Keep ``health`` unless what is known is newer: a measurement that
        began before a read found the replica down does not undo that."""
        known = self._health.get(health.node)
        if known is not None and known.measured_at > health.measured_at:
            return known
        self._health[health.node] = health
        return health

    async def primary_position(self) -> WalPosition:
        asked_at = time.monotonic()
        async with engine_connection(self.primary) as conn:
            row = await conn.fetchrow(PRIMARY_POSITION_SQL)
        return WalPosition(asked_at, row["lsn"], row["clock"])

    @staticmethod
    async def _replica_row(engine: PostgresEngine):
        if isinstance(engine, ReplicaNode) and not engine.settled:
            await engine.settle()
        async with engine_connection(engine) as conn:
            return await conn.fetchrow(REPLICA_SQL)

    async def measure_all(self) -> list[ReplicaHealth]:
        return list(await asyncio.gather(*(self.measure(name) for name in self.nodes)))

    async def mark_down(self, name: str, exc: BaseException) -> None:
        """Skip the replica until a measurement finds it fit; its pooled
        connections are replaced (they may be to a server that has gone)."""
        self._health[name] = ReplicaHealth(name, time.monotonic(), None, _problem(exc))
        node = self.nodes[name]
        if node.pool is not None:
            await node.pool.expire_connections()
        if isinstance(node, ReplicaNode):
            node.settled = False  # asked again: its address may lead elsewhere now

    def _refresh(self, name: str) -> None:
        """Measure ``name`` in the background when its measurement is due."""
        health = self._health.get(name)
        interval = self.settings.check_interval
        due = health is None or time.monotonic() - health.measured_at >= interval
        running = self._checks.get(name)
        if due and (running is None or running.done()):
            self._checks[name] = asyncio.get_running_loop().create_task(self.measure(name))

    def choose(self, max_lag: float | None = None) -> str | None:
        """A replica fit for a read at most ``max_lag`` seconds stale (the
        configured bound if None), taking turns; None: the primary."""
        if not self.nodes or self.primary.current_transaction.get() is not None:
            return None
        max_lag = self.settings.max_lag if max_lag is None else max_lag
        names = list(self.nodes)
        start = next(self._turn) % len(names)
        chosen = None
        for name in names[start:] + names[:start]:
            self._refresh(name)
            health = self._health.get(name)
            if chosen is None and health is not None and health.fit(max_lag):
                chosen = name
        return chosen

    async def run(
        self,
        max_lag: float | None,
        on_replica: Callable[[PostgresEngine], Awaitable[T]],
        on_primary: Callable[[], Awaitable[T]],
    ) -> T:
        """``on_replica(node)`` on a fit replica, else (or if it fails there)
        ``on_primary()``."""
        name = self.choose(max_lag)
        if name is not None:
            try:
                return await on_replica(self.nodes[name])
            except REPLICA_DOWN as exc:
                await self.mark_down(name, exc)
            except Exception:  # noqa: BLE001 (the primary answers; it fails there if it must)
                pass
        return await on_primary()


# False outside stale_reads(); inside, its max_lag (None: the configured bound).
_stale: ContextVar[float | bool | None] = ContextVar("platform_db_stale_reads", default=False)


@contextmanager
def stale_reads(max_lag: float | None = None) -> Iterator[None]:
    """The Piccolo reads in this block may be answered by a replica at most
    ``max_lag`` seconds behind the primary (``DATABASE_REPLICA_MAX_LAG`` if
    None). Writes and locking reads in it still go to the primary."""
    token = _stale.set(max_lag)
    try:
        yield
    finally:
        _stale.reset(token)


def is_plain_read(querystring: QueryString) -> bool:
    sql, _ = querystring.compile_string(engine_type="postgres")
    return bool(_READ.match(sql)) and not _LOCKING.search(sql)


class ReplicatedEngine(LazyEngine):
    """Piccolo's ``PostgresEngine`` (configured at its first connection) whose reads inside ``stale_reads()`` go
    to a fit replica of ``extra_nodes``; the replicas' connection pools start
    and stop with the primary's (empty: a dead replica delays nothing)."""

    def __init__(self, *args, replica_settings: ReplicaSettings | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.replicas = Router(self, replica_settings or ReplicaSettings.from_env())

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True):
        max_lag = _stale.get()
        if max_lag is False or not self.extra_nodes or not is_plain_read(querystring):
            return await super().run_querystring(querystring, in_pool=in_pool)
        return await self.replicas.run(
            max_lag,
            lambda node: node.run_querystring(querystring, in_pool=in_pool),
            lambda: super(ReplicatedEngine, self).run_querystring(querystring, in_pool=in_pool),
        )

    async def start_connection_pool(self, **kwargs) -> None:
        await super().start_connection_pool(**kwargs)
        for node in self.extra_nodes.values():
            await node.start_connection_pool(**{**kwargs, "min_size": 0})

    async def close_connection_pool(self) -> None:
        for node in self.extra_nodes.values():
            # A replica not settled yet has no pool, but would start one.
            if node.pool is not None or isinstance(node, ReplicaNode):
                await node.close_connection_pool()
        await super().close_connection_pool()


async def read(
    fn: Callable[..., Awaitable[T]],
    *args: Any,
    engine: PostgresEngine | None = None,
    stale_ok: bool = True,
    max_lag: float | None = None,
) -> T:
    """``await fn(connection, *args)`` on a fit replica's connection, else
    (or with ``stale_ok=False``) the primary's: for readers of raw SQL (the
    schema-health page's parts). ``fn`` must only read; it may run twice (on
    the primary after a replica failed it)."""
    if engine is None:
        from piccolo.engine import engine_finder

        engine = engine_finder()

    async def on(node: PostgresEngine) -> T:
        async with engine_connection(node) as conn:
            return await fn(conn, *args)

    router = getattr(engine, "replicas", None)
    if router is None or not stale_ok:
        return await on(engine)
    return await router.run(max_lag, on, lambda: on(engine))
