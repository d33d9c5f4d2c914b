"""Helpers of the admin's tests: a logged-in client as the admin's UI makes
one, and what a test must never find in a response (a credential's secrets
and their ciphertexts)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

PASSWORD = "a-long-test-password-" + secrets.token_hex(4)


@dataclass(frozen=True)
class KnownCredential:
    id: uuid.UUID
    plaintexts: tuple[str, ...]
    ciphertexts: tuple[str, ...]

    @property
    def forbidden(self) -> tuple[str, ...]:
        return self.plaintexts + self.ciphertexts


def assert_no_secret(text: str, credential: KnownCredential, where: str) -> None:
    for value in credential.forbidden:
        assert value not in text, f"{where} contains a secret (or its ciphertext)"


async def create_admin_user(superuser: bool = False) -> str:
    from piccolo.apps.user.tables import BaseUser

    username = f"admin_{uuid.uuid4().hex[:8]}"
    await BaseUser.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.com",
        admin=True,
        active=True,
        superuser=superuser,
    )
    return username


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD):
    """Piccolo Admin's login as its UI does it: GET sets the CSRF cookie,
    the POST sends it back in the X-CSRFToken header."""
    await client.get("/admin/")
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password},
        headers=csrf(client),
    )


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"]}


def asgi_client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def month_start(months_from_now: int) -> datetime:
    """Midnight UTC on the first of the month ``months_from_now`` months
    from the current one: a messages partition's lower bound."""
    now = datetime.now(timezone.utc)
    index = now.year * 12 + now.month - 1 + months_from_now
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)
