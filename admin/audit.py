"""The admin's audit trail: every request of a logged-in admin user that
may change data (POST, PUT, PATCH, DELETE: Piccolo Admin's saves, adds and
deletes, users and passwords, MFA, the maintenance forms, the own pages'
actions) becomes an entry of ``admin_audit_log`` (``admin.tables``): who,
from which address, what was asked (the body, without any password, secret,
token or code), and how it ended (the HTTP status). The database gives the
time and refuses any change of an entry afterwards.

It sits outside the login middlewares and reads who the user was from the
request's scope once the request has been answered, so a request that no
one logged in sent (or that CSRF refused before the login was looked at)
leaves no entry: strangers cannot fill the trail. Logging in and out change
no data and are not recorded.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.body_limit import MAX_BODY_BYTES, read_body, replaying
from admin.tables import AdminAuditEntry

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDACTED = "<redacted>"
# A body's keys whose values never reach the trail.
HIDDEN_KEYS = re.compile(r"password|secret|token|code|recovery", re.IGNORECASE)

logger = logging.getLogger(__name__)

# (path pattern, action by method or for any method); the first match names the action.
ACTIONS: list[tuple[re.Pattern, dict[str, str]]] = [
    (re.compile(r"^/admin/api/tables/(?P<table>[^/]+)/(?P<row>[^/]+)/$"),
     {"PATCH": "update row", "PUT": "update row", "DELETE": "delete row"}),
    (re.compile(r"^/admin/api/tables/(?P<table>[^/]+)/$"),
     {"POST": "add row", "DELETE": "delete rows"}),
    (re.compile(r"^/admin/api/forms/(?P<form>[^/]+)/$"), {"*": "run form"}),
    (re.compile(r"^/admin/api/change-password/$"), {"*": "change password"}),
    (re.compile(r"^/admin/api/mfa-setup/"), {"*": "set up MFA"}),
    (re.compile(r"^/inspect/credentials/(?P<row>[^/]+)/status/$"),
     {"*": "set connection status"}),
    (re.compile(r"^/inspect/sync-logs/(?P<row>[^/]+)/fail/$"), {"*": "mark sync as failed"}),
    (re.compile(r"^/inspect/tables/(?P<table>[^/]+)/(?P<row>[^/]+)/delete/$"),
     {"*": "delete row"}),
    (re.compile(r"^/inspect/delete/(?P<table>[^/]+)/(?P<row>[^/]+)/$"),
     {"*": "delete row with its history"}),
]  # fmt: skip


def action_of(method: str, path: str) -> tuple[str, str]:
    """(action, target) of a request: ``("update row", "companies 42")``."""
    for pattern, actions in ACTIONS:
        found = pattern.match(path)
        if found and (method in actions or "*" in actions):
            target = " ".join(v for v in found.groupdict().values() if v)
            if "row" in found.groupdict() and "table" not in found.groupdict():
                target = f"{path.split('/')[2]} {found['row']}"
            return actions.get(method) or actions["*"], target or path
    return f"{method} {path}", path


def _hidden(value):
    if isinstance(value, dict):
        return {
            key: REDACTED if HIDDEN_KEYS.search(str(key)) else _hidden(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_hidden(item) for item in value]
    return value


def what_was_asked(scope: Scope, body: bytes) -> dict:
    headers = dict(scope.get("headers") or [])
    kind = headers.get(b"content-type", b"").decode("latin-1")
    detail: dict = {}
    if scope.get("query_string"):
        detail["query"] = _hidden(dict(parse_qsl(scope["query_string"].decode("latin-1"))))
    text = body.decode("utf-8", "replace")
    if not body:
        return detail
    if "json" in kind:
        try:
            detail["body"] = _hidden(json.loads(text))
        except ValueError:
            detail["body"] = f"<{len(body)} bytes, not JSON>"
    elif "x-www-form-urlencoded" in kind:
        detail["body"] = _hidden(dict(parse_qsl(text)))
    else:
        detail["body"] = f"<{len(body)} bytes of {kind or 'no content type'}>"
    return detail


def _who(scope: Scope):
    """The logged-in admin user the login middleware found, or None."""
    user = scope.get("user")
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "user", None)


async def record(scope: Scope, body: bytes, status: int) -> None:
    user = _who(scope)
    if user is None:
        return
    action, target = action_of(scope["method"], scope["path"])
    # What the handler itself noted (e.g. the rows a deletion took with it).
    detail = {**what_was_asked(scope, body), **scope.get("audit", {})}
    await AdminAuditEntry.insert(
        AdminAuditEntry(
            username=user.username,
            user_id=user.id,
            address=(scope.get("client") or ("unknown",))[0][:64],
            action=action[:100],
            target=target,
            detail=json.dumps(detail, default=str),
            outcome=status,
        )
    )


class AuditTrail:
    """ASGI middleware: each write of a logged-in admin, recorded once answered."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive, MAX_BODY_BYTES)  # admin.body_limit checked it
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, replaying(body, receive), send_noting_status)
        finally:
            try:
                await record(scope, body, status)
            except Exception:  # the answer is sent; say the entry is missing
                logger.exception(
                    "admin audit: %s %s was not recorded", scope["method"], scope["path"]
                )
