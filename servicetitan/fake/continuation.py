"""``continueFrom`` tokens: opaque, stable, bound to one tenant's feed.

A token names a position in a feed's log, masked and signed with the fake's
key, so a client can neither read a position out of it nor make one up:
it can only hand back what the fake gave it. The same token always starts
the same page (the log only grows), and a token of another tenant or
entity is refused as ServiceTitan refuses a bad ``from``.
"""

from __future__ import annotations

from base64 import urlsafe_b64decode, urlsafe_b64encode
from binascii import Error as Base64Error
from hashlib import blake2b

_SIZE = 6  # bytes of the masked position, and of the signature


def _digest(key: bytes, text: str) -> bytes:
    return blake2b(text.encode(), key=key, digest_size=_SIZE).digest()


def encode(key: bytes, feed: str, position: int) -> str:
    """The token of ``position`` in ``feed`` (e.g. ``"1000001/jobs"``)."""
    mask = int.from_bytes(_digest(key, feed), "big")
    raw = (position ^ mask).to_bytes(_SIZE, "big") + _digest(key, f"{feed}:{position}")
    return urlsafe_b64encode(raw).decode()


def decode(key: bytes, feed: str, token: str) -> int | None:
    """The position ``token`` names in ``feed``; None if the fake did not
    make it for that feed."""
    try:
        raw = urlsafe_b64decode(token.encode())
    except (Base64Error, ValueError):
        return None
    if len(raw) != 2 * _SIZE:
        return None
    position = int.from_bytes(raw[:_SIZE], "big") ^ int.from_bytes(_digest(key, feed), "big")
    return position if raw[_SIZE:] == _digest(key, f"{feed}:{position}") else None
