"""PostgreSQL durations (``5s``, ``500ms``, ``15min``) checked before they
reach the server, so a bad ``--lock_timeout`` is refused before anything runs
rather than failing half way through a deploy."""

from __future__ import annotations

import re

# The units PostgreSQL accepts for time settings; a bare number is
# milliseconds (lock_timeout and statement_timeout are in ms).
_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")


class InvalidDuration(ValueError):
    pass


def milliseconds(text: str) -> float:
    """``text`` as PostgreSQL reads a time setting, in milliseconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise InvalidDuration(
            f"{text!r} is not a PostgreSQL duration (a number with us, ms, s, min, h or d, "
            "e.g. 5s or 500ms)"
        )
    number, unit = match.groups()
    return float(number) * _UNITS_MS[unit or "ms"]


def checked(label: str, text: str, minimum_ms: float, maximum_ms: float) -> str:
    """``text`` normalised (``5 s`` -> ``5s``) if it is a duration within the
    bounds; ``InvalidDuration`` naming ``label`` otherwise. Zero, which
    PostgreSQL reads as "no limit", is below any positive minimum."""
    try:
        value = milliseconds(text)
    except InvalidDuration as exc:
        raise InvalidDuration(f"{label}: {exc}") from None
    if not minimum_ms <= value <= maximum_ms:
        raise InvalidDuration(
            f"{label} must be between {_readable(minimum_ms)} and {_readable(maximum_ms)}, "
            f"not {text}"
        )
    return "".join(str(text).split())


def _readable(ms: float) -> str:
    for unit in ("d", "h", "min", "s"):
        if ms >= _UNITS_MS[unit] and ms % _UNITS_MS[unit] == 0:
            return f"{ms / _UNITS_MS[unit]:g}{unit}"
    return f"{ms:g}ms"
