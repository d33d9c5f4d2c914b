"""What each ServiceTitan API value parser makes of real and malformed values.

Standard library only, like ``servicetitan.cache.api_values``: the same cases run
in the test process and under the oldest Python the project claims
(``test_api_values.py``), and must come out the same.
"""

from __future__ import annotations

# (parser, value, outcome): the repr of the parsed value, or "ValueError: "
# and the reason.
UTC = "tzinfo=datetime.timezone.utc)"
CASES = [
    # ServiceTitan (.NET) writes 0 to 7 fractional digits, with Z or an offset.
    ("timestamp", "2025-03-05T17:45:12Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.1Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 100000, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.12Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 120000, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.123Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 123000, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.12345Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 123450, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.123456Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 123456, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.1234567Z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 123456, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.12+02:00", f"datetime.datetime(2025, 3, 5, 15, 45, 12, 120000, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.1234567-05:30", f"datetime.datetime(2025, 3, 5, 23, 15, 12, 123456, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12+00:00", f"datetime.datetime(2025, 3, 5, 17, 45, 12, {UTC}"),
    ("timestamp", "2025-03-05t17:45:12.5z", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 500000, {UTC}"),
    # No zone: UTC. A space for the T, no seconds, a date alone.
    ("timestamp", "2025-03-05T17:45:12", f"datetime.datetime(2025, 3, 5, 17, 45, 12, {UTC}"),
    ("timestamp", "2025-03-05T17:45:12.1", f"datetime.datetime(2025, 3, 5, 17, 45, 12, 100000, {UTC}"),
    ("timestamp", "2025-03-05 17:45:12", f"datetime.datetime(2025, 3, 5, 17, 45, 12, {UTC}"),
    ("timestamp", "2025-03-05T17:45", f"datetime.datetime(2025, 3, 5, 17, 45, {UTC}"),
    ("timestamp", "2025-03-05", f"datetime.datetime(2025, 3, 5, 0, 0, {UTC}"),
    # Sentinels at the ends of the range.
    ("timestamp", "0001-01-01T00:00:00", f"datetime.datetime(1, 1, 1, 0, 0, {UTC}"),
    ("timestamp", "9999-12-31T23:59:59.9999999Z", f"datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, {UTC}"),
    ("timestamp", "0001-01-01T00:00:00+01:00", "ValueError: is out of the range of dates (years 1 to 9999 in UTC)"),
    ("timestamp", "9999-12-31T23:00:00-05:00", "ValueError: is out of the range of dates (years 1 to 9999 in UTC)"),
    # Not date-times, on every Python (3.11's fromisoformat alone takes some).
    ("timestamp", "2025-13-01T00:00:00Z", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T24:00:00Z", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T17:45:12.Z", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T17:45:12+02", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T17:45:12+0200", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T17:45:12+24:00", "ValueError: is not a date-time"),
    ("timestamp", "20250305T174512Z", "ValueError: is not a date-time"),
    ("timestamp", "2025-W10-3", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T17:45:12,5Z", "ValueError: is not a date-time"),
    ("timestamp", " 2025-03-05T17:45:12Z", "ValueError: is not a date-time"),
    ("timestamp", "2025-03-05T17:45:12Z ", "ValueError: is not a date-time"),
    ("timestamp", "", "ValueError: is not a date-time"),
    ("timestamp", 1741196712, "ValueError: must be a date-time string"),
    ("timestamp", None, "None"),
    # The other parsers.
    ("bigint", 2**63 - 1, "9223372036854775807"),
    ("bigint", 2**63, "ValueError: must be an integer"),
    ("bigint", True, "ValueError: must be an integer"),
    ("bigint", "5", "ValueError: must be an integer"),
    ("text", "Hold", "'Hold'"),
    ("text", 5, "ValueError: must be a string"),
    ("boolean", False, "False"),
    ("boolean", 0, "ValueError: must be true or false"),
    ("double", 3, "3.0"),
    ("double", "3.5", "ValueError: must be a number"),
    ("decimal", 0.1, "Decimal('0.1')"),
    ("decimal", True, "ValueError: must be a number"),
    ("decimal", "125.50", "Decimal('125.50')"),
    ("decimal", "-3.", "Decimal('-3')"),
    ("decimal", "1e5", "ValueError: must be a number"),
    ("decimal", "NaN", "ValueError: must be a number"),
    ("decimal", " 1", "ValueError: must be a number"),
    ("json_text", {"a": [1, "é"]}, "'{\"a\":[1,\"\\\\u00e9\"]}'"),
    ("json_text", {"a": float("nan")}, "ValueError: is not JSON (Out of range float values are not JSON compliant)"),
    ("bigint_list", [1, 2], "[1, 2]"),
    ("bigint_list", [1, None], "ValueError: must be a list of integers"),
    ("full_data", {"id": 1, "name": "a\x00b"}, "ValueError: contains a NUL character (\\u0000), which PostgreSQL cannot store"),
    ("full_data", {"id": 1, "name": "\ud800"}, "ValueError: contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text"),
    ("full_data", {"id": 1, "name": "\U0001F600"}, "'{\"id\":1,\"name\":\"\\\\ud83d\\\\ude00\"}'"),
]


def outcome(parser: str, value) -> str:
    from servicetitan.cache import api_values

    try:
        return repr(getattr(api_values, parser)(value))
    except ValueError as exc:
        return f"ValueError: {exc}"


def outcomes() -> list[str]:
    return [outcome(parser, value) for parser, value, _ in CASES]
