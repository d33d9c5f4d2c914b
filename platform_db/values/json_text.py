"""JSON as PostgreSQL stores it, checked before a write so that a refusal can
name its column and value.

One rule for every write path (Piccolo's ORM, the project's COPY paths): a
``str`` is JSON text already, as Piccolo passes it on; anything else is a
value to serialize. Either way, what PostgreSQL would refuse is a
``ValueError`` here: text that is not JSON, NaN or Infinity (which Python's
``json`` reads and writes, and JSON has not), a lone surrogate, and in a
``jsonb`` column a NUL character.

Standard library only: ``servicetitan.cache.api_values`` uses it, and runs under
the oldest Python the project claims.
"""

from __future__ import annotations

import json
from typing import Any

NUL_REFUSED = "contains a NUL character (\\u0000), which PostgreSQL cannot store"
SURROGATE_REFUSED = "contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_text(value: Any, *, jsonb: bool = True) -> str:
    """The JSON text a ``json`` / ``jsonb`` column is given for ``value``."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value, parse_constant=_no_constant)
        except ValueError as exc:
            raise ValueError(f"not valid JSON text ({exc})") from None
        text = value
    else:
        parsed = value
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ValueError(f"not JSON-serializable ({exc})") from None
    check_text(text, parsed, jsonb=jsonb)
    return text


def check_text(text: str, parsed: Any, *, jsonb: bool = True) -> None:
    """``ValueError`` if PostgreSQL would refuse ``text``, the JSON of ``parsed``.
    The cheap substring tests come first: the full checks rarely run."""
    if jsonb and "\\u0000" in text and holds_nul(parsed):
        raise ValueError(NUL_REFUSED)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(SURROGATE_REFUSED) from None
    if ("\\ud" in text or "\\uD" in text) and not _encodes(parsed):
        raise ValueError(SURROGATE_REFUSED)


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def _encodes(value: Any) -> bool:
    """Whether every string in ``value`` is Unicode text (no lone surrogate)."""
    try:
        json.dumps(value, ensure_ascii=False, check_circular=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
