"""ServiceTitan API values (what a record's fields hold) parsed into what
the cache's columns take, or ``ValueError`` saying why not.

Standard library only (and ``platform_db.values.json_text``, which is too), on
purpose: these parsers must behave the same on every Python the project
claims (``requires-python``), and ``tests/servicetitan/test_api_values.py``
runs them under the oldest one too.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal

from platform_db.values.json_text import check_text

BIGINT_RANGE = range(-(2**63), 2**63)
INTEGER_RANGE = range(-(2**31), 2**31)

# Compact and ASCII-safe: what PostgreSQL parses into full_data. NaN and
# Infinity (which Python's json reads) are refused: JSON has no such numbers.
_encode_json = json.JSONEncoder(separators=(",", ":"), check_circular=False, allow_nan=False).encode


def integer_in(allowed: range, type_name: str):
    def parse(value):
        if value is None or (type(value) is int and value in allowed):
            return value
        raise ValueError(f"must be {type_name}")

    return parse


def text(value):
    if value is None or type(value) is str:
        return value
    raise ValueError("must be a string")


def boolean(value):
    if value is None or type(value) is bool:
        return value
    raise ValueError("must be true or false")


def double(value):
    if value is None or type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    raise ValueError("must be a number")


# accounting-v2 sends money as decimal strings ("125.50", "-3.2")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def decimal(value):
    if value is None:
        return None
    if type(value) is int or type(value) is float:
        # str() first: Decimal(0.1) would keep the float's binary noise
        return Decimal(str(value))
    if type(value) is str and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise ValueError("must be a number")


# RFC 3339 as ServiceTitan (.NET) writes it, with what real payloads also
# hold: no zone (UTC), a space for the T, no seconds, a date alone, and 1 to
# 9 fractional digits (cut to microseconds). One grammar on every Python:
# 3.11's ``fromisoformat`` alone takes far more (week dates, "+02", basic
# format), and 3.10's far less (only 3 or 6 digits, no "Z").
_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:[Zz]|([+-](?:[01]\d|2[0-3]):[0-5]\d))?)?"
)


def timestamp(value):
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError("must be a date-time string")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise ValueError("is not a date-time")
    day, minutes, seconds, fraction, offset = match.groups()
    # Every part filled in: the one form that every fromisoformat reads alike.
    fraction = "000000" if fraction is None else fraction[:6].ljust(6, "0")
    iso = f"{day}T{minutes or '00:00'}:{seconds or '00'}.{fraction}{offset or '+00:00'}"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError("is not a date-time") from None
    try:
        # In UTC here: the driver's conversion would overflow outside years 1-9999.
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of the range of dates (years 1 to 9999 in UTC)") from None


def json_text(value):
    if value is None:
        return None
    try:
        return _encode_json(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"is not JSON ({exc})") from None


bigint = integer_in(BIGINT_RANGE, "an integer")


def bigint_list(value):
    if value is None:
        return None
    if type(value) is not list:
        raise ValueError("must be a list of integers")
    for item in value:
        bigint(item)
        if item is None:
            raise ValueError("must be a list of integers")
    return value


def full_data(record) -> str:
    """A whole record as the JSON text PostgreSQL parses into ``full_data``."""
    encoded = json_text(record)
    check_text(encoded, record)
    return encoded
