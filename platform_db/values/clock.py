"""UTC for the seed's TIMESTAMP (without time zone) columns."""

from datetime import datetime, timezone

from piccolo.columns.defaults.timestamp import TimestampNow


def utc_now_naive() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc_naive(value: datetime | None) -> datetime | None:
    """An aware datetime converted to naive UTC; a naive one is taken as UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


class UtcNow(TimestampNow):
    """``TimestampNow`` whose Python side is UTC too: Piccolo sends a column's
    Python default on every ORM insert, and ``TimestampNow`` gives host-local
    time, wrong for a TIMESTAMP column that holds UTC."""

    def python(self):
        return utc_now_naive()
