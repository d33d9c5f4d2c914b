"""Helpers of the admin's tests: a logged-in client as the admin's UI makes
one, and what a test must never find in a response (a credential's secrets
and their ciphertexts)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser

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


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD, **more: str):
    """Piccolo Admin's login as its UI does it: GET sets the CSRF cookie,
    the POST sends it back in the X-CSRFToken header (``more``: e.g. mfa_code)."""
    await client.get("/admin/")
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password, **more},
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


@dataclass
class Form:
    """A POST form of one of the admin's own pages, as a browser submits it."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden inputs, selected options
    options: dict[str, list[str]] = field(default_factory=dict)  # of each select
    buttons: list[str] = field(default_factory=list)


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._button = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = Form(attrs["action"])
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and attrs.get("name"):
            self._form.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
            self._form.options[self._select] = []
        elif tag == "option" and self._select:
            self._form.options[self._select].append(attrs["value"])
            if "selected" in attrs or self._select not in self._form.fields:
                self._form.fields[self._select] = attrs["value"]
        elif tag == "button":
            self._button = True
            self._form.buttons.append("")

    def handle_data(self, data):
        if self._button:
            self._form.buttons[-1] += data.strip()

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "button":
            self._button = False


def forms_of(html: str) -> list[Form]:
    """The POST forms of a page of the admin below its header (whose one
    form is Log out)."""
    parser = _Forms()
    parser.feed(html.split("</header>", 1)[-1])
    return parser.forms


def form_to(html: str, action_end: str) -> Form:
    """The one form of a page whose action ends with ``action_end`` (a
    credential's page has several: Test connection, Sync now, its status)."""
    (form,) = [f for f in forms_of(html) if f.action.endswith(action_end)]
    return form


async def submit(client: httpx.AsyncClient, form: Form, **values: str) -> httpx.Response:
    return await client.post(form.action, data={**form.fields, **values})
