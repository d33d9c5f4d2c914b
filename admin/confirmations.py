"""Confirmation codes for the admin's actions that remove data (partition
maintenance, the cleanups, deleting a row with its history): shown with the
exact plan, asked back to carry it out.

A code is an HMAC, under a secret of this process that never leaves it, of
the user's session, the action and the plan's whole text (its counts
included), with a nonce and an expiry. So a code cannot be computed offline
(the old six characters were the plan's bare hash), works only in the
session it was shown to, only for that plan (if anything changed since,
the plan shown now is another one), only until ``TTL_SECONDS`` have passed,
and only once. A restart of ``piccolo admin serve`` voids every code shown
before it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TTL_SECONDS = 600


class ConfirmationRefused(ValueError):
    """A code that does not confirm this plan, here and now (a ValueError, so
    Piccolo Admin's forms show it as the form's error)."""


@dataclass
class Confirmations:
    ttl: float = TTL_SECONDS
    clock: Callable[[], float] = time.time
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _used: dict[str, float] = field(default_factory=dict)  # nonce -> its expiry

    def _mac(self, session: str, action: str, plan: str, nonce: str, expires: int) -> str:
        message = "\x1f".join([session, action, plan, nonce, str(expires)]).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def issue(self, session: str, action: str, plan: str) -> str:
        """The code that confirms ``plan`` of ``action`` in ``session``."""
        nonce = secrets.token_hex(6)
        expires = int(self.clock() + self.ttl)
        return f"{nonce}-{expires}-{self._mac(session, action, plan, nonce, expires)}"

    def redeem(self, session: str, action: str, plan: str, code: str) -> None:
        """Accept ``code`` once for this plan, or ConfirmationRefused saying why."""
        parts = code.strip().split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            raise ConfirmationRefused("that is not a confirmation code shown by the admin")
        nonce, expires, mac = parts[0], int(parts[1]), parts[2]
        now = self.clock()
        for used, until in list(self._used.items()):
            if until < now:
                del self._used[used]
        if not hmac.compare_digest(mac, self._mac(session, action, plan, nonce, expires)):
            raise ConfirmationRefused(
                "the code does not confirm this plan: it was shown for another plan (what "
                "it would do has changed since), in another session, or before a restart"
            )
        if expires < now:
            raise ConfirmationRefused(f"the code expired ({int(self.ttl // 60)} minutes)")
        if nonce in self._used:
            raise ConfirmationRefused("the code was used already")
        self._used[nonce] = expires
