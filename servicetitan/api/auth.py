"""The credential's authentication of each API request, as httpx's ``Auth``
flow: the ``Authorization: Bearer`` token and the application's
``ST-App-Key``; on a 401 (the token expired early, or was revoked) one new
token and the request sent once more. Each send waits for the tenant's rate
limit first, the second one too."""

from __future__ import annotations

import httpx

from servicetitan.api.limits import TenantLimit
from servicetitan.api.tokens import CredentialTokens

APP_KEY_HEADER = "ST-App-Key"


class CredentialAuth(httpx.Auth):
    def __init__(self, tokens: CredentialTokens, app_key: str, limit: TenantLimit):
        self.tokens = tokens
        self.app_key = app_key
        self.limit = limit

    def _signed(self, request: httpx.Request, token: str) -> httpx.Request:
        request.headers[APP_KEY_HEADER] = self.app_key
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    async def async_auth_flow(self, request: httpx.Request):
        token = await self.tokens.current()
        await self.limit.acquire()
        response = yield self._signed(request, token)
        if response.status_code == 401:
            token = (await self.tokens.refresh(rejected=token)).value
            await self.limit.acquire()
            yield self._signed(request, token)

    def sync_auth_flow(self, request: httpx.Request):
        raise RuntimeError("the ServiceTitan client is async only")
