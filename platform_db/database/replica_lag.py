"""How far behind its primary a replica is, measured against the primary
itself (``platform_db.database.replicas`` asks both, and routes by it).

A standby's own view is not enough: one whose WAL receipt stalled (its
primary's walsender stopped, a network stall) has replayed everything it
received, and keeps its WAL receiver row for ``wal_receiver_timeout``
(60 s), while the primary has moved on. So the primary is asked how far its
WAL is written just before each measurement of a replica, and a replica is
as far behind as the newest such position it has replayed is old, or as
its last replayed commit (both on the primary's clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Asked of the primary just before each measurement of a replica: how far
# its WAL is written, and its clock. Every commit visible there is written
# (but one made with synchronous_commit = off, for up to three
# wal_writer_delay: the project makes none). Not the insert position: after
# a record that ends a page it points past the next page's header, where no
# replica's replay ever ends.
PRIMARY_POSITION_SQL = "SELECT pg_current_wal_lsn() AS lsn, clock_timestamp() AS clock"

# Asked of the replica: what it is, how far it has replayed, and the time
# (the primary's clock) of the last commit it replayed.
REPLICA_SQL = """
SELECT pg_is_in_recovery() AS in_recovery,
       EXISTS (SELECT FROM pg_stat_wal_receiver) AS streaming,
       pg_last_wal_replay_lsn() AS replayed,
       pg_last_xact_replay_timestamp() AS replayed_commit_at
"""
# The primary's positions kept to measure against: a replica that has
# replayed one of them is at most as far behind as that position is old.
POSITIONS_KEPT = 32


@dataclass(frozen=True)
class WalPosition:
    """Where the primary's WAL was (``lsn``) when asked at ``asked_at``
    (``time.monotonic()``, just before the question left), by its own clock."""

    asked_at: float
    lsn: int
    clock: datetime


def replica_lag(
    now: WalPosition,
    earlier: Iterable[WalPosition],
    replayed: int | None,
    replayed_commit_at: datetime | None,
) -> float | None:
    """How far behind the primary (seconds, as of ``now.asked_at``) a replica
    is that has replayed up to ``replayed``, its last replayed commit made at
    ``replayed_commit_at`` (the primary's clock); None: unknown.

    Bounds, the tighter wins: having replayed a position the primary had at
    some moment, it shows at least what the primary showed then; having
    replayed a commit, it shows at least what the primary showed when it was
    made. Never what it has received: a standby whose WAL receipt stalled
    has replayed everything it received, and is behind all the same."""
    if replayed is None:
        return None
    bounds = [now.asked_at - p.asked_at for p in (now, *earlier) if replayed >= p.lsn]
    if replayed_commit_at is not None:
        bounds.append((now.clock - replayed_commit_at).total_seconds())
    return max(0.0, min(bounds)) if bounds else None
