"""A credential's access token, obtained and kept as ServiceTitan's OAuth
asks: client credentials only, no refresh token (``refresh_token`` stays
NULL), a new token asked for before the one in use expires.

- ``current()`` answers from this process's memory while the token has
  more than ``REFRESH_MARGIN`` left, else from the database (another
  process may have obtained one), else obtains one.
- Obtaining happens under the credential's ``token_lock``: one refresh at a
  time per credential across processes and machines; the others wait for
  it and reuse what it stored.
- ``refresh(rejected=token)`` is what a 401 calls: a new token unless
  another coroutine or process already replaced the rejected one.

Every attempt is recorded on the credential: the token encrypted, its
expiry from ``expires_in`` counted from the database's clock before the
request was sent, ``connection_status`` ``active`` and no
``connection_error``; or, when ServiceTitan refuses the client id and
secret, ``error`` with its reason; or, when ServiceTitan cannot be reached,
the reason only (the status stays: that is not the credentials' fault).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from servicetitan.api.errors import (
    CredentialsRejected,
    MalformedAnswer,
    ServiceTitanError,
    Unreachable,
    clipped,
    detail_of,
)
from servicetitan.api.settings import ApiSettings
from servicetitan.tables import ServiceTitanCredential, StoredToken

# A token with less than this left is not used: a request sent with it may
# arrive after it expired, and a page may take long. The credential overview
# calls such a token ``expiring`` (migration
# credential_overview_expiring_within_the_refresh_margin; its test holds the
# view to this value).
REFRESH_MARGIN = timedelta(seconds=60)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    expires_at: datetime  # UTC, naive, as token_expires_at
    # time.monotonic() after which this process no longer uses it
    use_until: float = field(repr=False)


# credential id -> its token, shared by every client of this process
_tokens: dict[object, Token] = {}


def _remembered(credential_id, value: str, stored: StoredToken, expires_at: datetime) -> Token:
    left = (expires_at - stored.now - REFRESH_MARGIN).total_seconds()
    token = Token(value, expires_at, time.monotonic() + left)
    _tokens[credential_id] = token
    return token


class CredentialTokens:
    def __init__(self, credential: ServiceTitanCredential, settings: ApiSettings, http):
        self.credential = credential
        self.settings = settings
        self.http = http  # an httpx.AsyncClient (its connections are reused)

    async def current(self) -> str:
        """A token to send now."""
        token = _tokens.get(self.credential.id)
        if token is not None and time.monotonic() < token.use_until:
            return token.value
        stored = await self.credential.stored_token()
        if stored.usable(REFRESH_MARGIN):
            return _remembered(
                self.credential.id, stored.access_token, stored, stored.expires_at
            ).value
        return (await self.refresh()).value

    async def refresh(self, rejected: str | None = None, force: bool = False) -> Token:
        """A new token, unless one stored meanwhile is usable (and is not
        ``rejected``); ``force``: a new one whatever is stored (a test of the
        credentials). Raises ``CredentialsRejected`` or ``Unreachable``."""
        failure: ServiceTitanError | None = None
        async with self.credential.token_lock() as stored:
            if not force and stored.usable(REFRESH_MARGIN, rejected):
                return _remembered(
                    self.credential.id, stored.access_token, stored, stored.expires_at
                )
            _tokens.pop(self.credential.id, None)
            try:
                value, expires_in = await self._obtain(stored)
            except CredentialsRejected as exc:
                await self.credential.record_connection_failure(str(exc), rejected=True)
                failure = exc
            except (Unreachable, MalformedAnswer) as exc:
                await self.credential.record_connection_failure(str(exc), rejected=False)
                failure = exc
            else:
                expires_at = stored.now + timedelta(seconds=expires_in)
                await self.credential.record_token_refresh(value, None, expires_at)
                token = _remembered(self.credential.id, value, stored, expires_at)
        if failure is not None:
            # raised once the failure is committed with the lock's transaction
            raise failure
        logger.info(
            "servicetitan credential %s: new access token, expires at %s UTC",
            self.credential.id,
            token.expires_at.isoformat(timespec="seconds"),
        )
        return token

    async def _obtain(self, stored: StoredToken) -> tuple[str, int]:
        """POST the client credentials to the token endpoint; the token and
        its ``expires_in``."""
        try:
            response = await self.http.post(
                self.settings.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": stored.client_id,
                    "client_secret": stored.client_secret,
                },
                timeout=self.settings.token_timeout,
            )
        except httpx.TimeoutException as exc:
            raise Unreachable(
                f"ServiceTitan's token endpoint ({self.settings.auth_url}) did not answer in "
                f"time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise Unreachable(
                f"could not reach ServiceTitan's token endpoint ({self.settings.auth_url}): "
                f"{type(exc).__name__}: {clipped(str(exc)) or 'no answer'}"
            ) from None
        if response.status_code in (400, 401, 403):
            raise CredentialsRejected(
                f"ServiceTitan refused the client id {stored.client_id!r} and its secret "
                f"({response.status_code}: "
                f"{detail_of(response.status_code, response.reason_phrase, response.content)})"
            )
        if response.status_code != 200:
            raise Unreachable(
                f"ServiceTitan's token endpoint answered {response.status_code}: "
                f"{detail_of(response.status_code, response.reason_phrase, response.content)}"
            )
        try:
            answer = response.json()
            value, expires_in = answer["access_token"], answer["expires_in"]
        except (ValueError, KeyError, TypeError):
            raise MalformedAnswer(
                "ServiceTitan's token endpoint answered 200 without an access_token and "
                "expires_in"
            ) from None
        if type(value) is not str or not value or type(expires_in) is not int or expires_in < 1:
            raise MalformedAnswer(
                "ServiceTitan's token endpoint answered an access_token or expires_in that "
                "is not usable"
            )
        return value, expires_in
