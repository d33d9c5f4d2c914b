"""``replica_lag``: how far behind a replica is, from the primary's WAL
positions asked before each measurement and the replica's replay position
(the servers' side of it: tests/platform/test_replicas.py)."""

from datetime import datetime, timedelta, timezone

from platform_db.database.replica_lag import WalPosition, replica_lag

NOON = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
EARLIER = [WalPosition(100.0, 1_000, NOON), WalPosition(101.0, 2_000, NOON + timedelta(seconds=1))]
NOW = WalPosition(102.5, 3_000, NOON + timedelta(seconds=2.5))


def test_a_replica_that_replayed_the_primarys_position_is_not_behind():
    assert replica_lag(NOW, EARLIER, 3_000, NOON) == 0.0
    assert replica_lag(NOW, EARLIER, 3_500, None) == 0.0  # a restarted standby, no commit yet


def test_a_stalled_replica_is_as_far_behind_as_the_newest_position_it_reached_is_old():
    # It replayed all it received (2,000), the primary is at 3,000: 1.5 s at least.
    assert replica_lag(NOW, EARLIER, 2_000, None) == 1.5
    assert replica_lag(NOW, EARLIER, 2_999, None) == 1.5
    assert replica_lag(NOW, EARLIER, 1_000, None) == 2.5


def test_its_last_replayed_commit_bounds_it_too_the_tighter_wins():
    replayed_at = NOON + timedelta(seconds=2)  # by the primary's clock
    assert replica_lag(NOW, EARLIER, 1_000, replayed_at) == 0.5
    assert replica_lag(NOW, EARLIER, 2_000, NOON) == 1.5
    assert replica_lag(NOW, [], 500, NOON) == 2.5


def test_unknown_without_a_position_reached_or_a_commit_replayed():
    assert replica_lag(NOW, EARLIER, 500, None) is None
    assert replica_lag(NOW, EARLIER, None, NOON) is None  # not a standby
