"""Calls to the fake ServiceTitan as a client makes them: httpx over real
HTTP, a token from ``/connect/token``, ``ST-App-Key`` on every API call."""

from __future__ import annotations

import httpx

from servicetitan.fake.service import DEFAULT_TENANT
from servicetitan.fake.specs import feeds

TENANT = DEFAULT_TENANT


def ask_token(fake, tenant_id: int = TENANT, secret: str | None = None) -> httpx.Response:
    tenant = fake.tenants[tenant_id]
    form = {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret if secret is None else secret,
    }
    return httpx.post(f"{fake.url}/connect/token", data=form, timeout=10)


def token(fake, tenant_id: int = TENANT) -> str:
    answer = ask_token(fake, tenant_id)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def api(fake, tenant_id: int = TENANT, access_token: str | None = None) -> httpx.Client:
    """A client with a new token of ``tenant_id`` and the app key."""
    headers = {
        "Authorization": f"Bearer {access_token or token(fake, tenant_id)}",
        "ST-App-Key": fake.app_key,
    }
    return httpx.Client(base_url=fake.url, headers=headers, timeout=10)


def export_path(entity: str, tenant_id: int = TENANT) -> str:
    return feeds()[entity].export_path.format(tenant=tenant_id)


def read_feed(client: httpx.Client, entity: str, tenant_id: int = TENANT, **params) -> list[dict]:
    """Every page of the feed from ``params`` (``from``...) until ``hasMore``
    is false, following ``continueFrom``."""
    pages = []
    while True:
        answer = client.get(export_path(entity, tenant_id), params=params)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        if not pages[-1]["hasMore"]:
            return pages
        params = params | {"from": pages[-1]["continueFrom"]}


def records(pages: list[dict]) -> list[dict]:
    return [record for page in pages for record in page["data"]]
