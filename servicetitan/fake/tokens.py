"""Access tokens of the client-credentials flow: opaque, per tenant, valid
for ``expires_in`` seconds of the fake's clock, and revocable before that
(the token that stops working early, as a test needs it).

ServiceTitan issues no refresh token: a client asks again before expiry.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class AccessToken:
    value: str
    client_id: str
    tenant_id: int
    expires_at: float
    revoked: bool = False


class AccessTokens:
    def __init__(self, lifetime: int, clock: Callable[[], float]):
        self.lifetime = lifetime
        self.clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str, tenant_id: int) -> AccessToken:
        token = AccessToken(
            "fake." + secrets.token_urlsafe(24), client_id, tenant_id, self.clock() + self.lifetime
        )
        with self._lock:
            self._tokens[token.value] = token
        return token

    def find(self, value: str | None) -> AccessToken | None:
        """The token issued as ``value``, usable or not."""
        return self._tokens.get(value) if value else None

    def usable(self, token: AccessToken) -> bool:
        return not token.revoked and self.clock() < token.expires_at

    def revoke(self, client_id: str | None = None) -> int:
        """Stops every usable token of ``client_id`` (of every client if
        None) from working; how many there were."""
        with self._lock:
            stopped = [
                t for t in self._tokens.values()
                if self.usable(t) and client_id in (None, t.client_id)
            ]  # fmt: skip
            for token in stopped:
                token.revoked = True
        return len(stopped)
