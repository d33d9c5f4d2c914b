"""An OpenAPI document of the admin's own pages (``/``, ``/inspect/...``,
``/health/``, ``/login/``), which no OpenAPI of Piccolo Admin's lists, so
that schemathesis reaches them too: every route of the pages app with its
path and query parameters and form fields, as a browser sends them.
``routes_of_the_pages`` is what the app serves, so a new page without a
place here fails the fuzz test."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route

# Log out would end the fuzzer's session: left out, and said so.
LEFT_OUT = {("POST", "/logout/")}


def _text(name: str, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "schema": {"type": "string"}}


def _form(*fields: str) -> dict:
    properties = {name: {"type": "string"} for name in fields}
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": properties}
            }
        },
    }


def _operation(*parameters: dict, body: dict | None = None) -> dict:
    operation = {"parameters": list(parameters), "responses": {"default": {"description": "any"}}}
    if body:
        operation["requestBody"] = body
    return operation


def own_pages_schema(tables: list[str], filters: list[str]) -> dict:
    """``tables``: the read-only tables' names; ``filters``: every filter
    column any of them has."""
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": tables},
    }
    any_name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    row = _text("row_id", "path", True)
    uuid = _text("id", "path", True)
    page = _text("page")
    paths = {
        "/": {"get": _operation()},
        "/health/": {"get": _operation()},
        "/admin/": {"get": _operation()},
        "/login/": {
            "get": _operation(),
            "post": _operation(body=_form("username", "password", "mfa_code", "format")),
        },
        "/inspect/credentials/": {"get": _operation(_text("failing"), _text("token"))},
        "/inspect/credentials/{id}/": {"get": _operation(uuid)},
        "/inspect/credentials/{id}/status/": {
            "post": _operation(uuid, body=_form("connection_status"))
        },
        "/inspect/credentials/{id}/test-connection/": {"post": _operation(uuid, body=_form())},
        "/inspect/credentials/{id}/sync/": {"post": _operation(uuid, body=_form("feed"))},
        "/inspect/queue/": {"get": _operation()},
        "/inspect/sync-logs/": {"get": _operation(_text("credential"), _text("status"), page)},
        "/inspect/sync-logs/stuck/": {"get": _operation(_text("minutes"), page)},
        "/inspect/sync-logs/{id}/": {"get": _operation(uuid)},
        "/inspect/sync-logs/{id}/fail/": {"post": _operation(uuid, body=_form())},
        "/inspect/tables/": {"get": _operation()},
        "/inspect/tables/{name}/": {
            "get": _operation(name, page, *(_text(f) for f in sorted(set(filters))))
        },
        "/inspect/tables/{name}/{row_id}/": {"get": _operation(name, row)},
        "/inspect/tables/{name}/{row_id}/delete/": {"post": _operation(name, row, body=_form())},
        "/inspect/delete/{name}/{row_id}/": {
            "get": _operation(any_name, row),
            "post": _operation(any_name, row, body=_form("confirmation")),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "The admin's own pages", "version": "1"},
        "paths": paths,
    }


def _starlette_in(app) -> Starlette:
    while not isinstance(app, Starlette):
        app = app.app
    return app


def routes_of_the_pages(app) -> set[tuple[str, str]]:
    """(method, path) of every route the admin serves outside Piccolo Admin:
    the pages app (mounted at the root, and at /admin/ itself) and the login
    app. A route that takes any method (the login) counts as GET and POST."""
    apps = {}
    for route in _starlette_in(app).routes:
        if isinstance(route, Mount) and route.path == "":
            apps[id(route.app)] = route.app
        elif isinstance(route, Route) and isinstance(route.endpoint, Starlette):
            apps[id(route.endpoint)] = route.endpoint
    found = set()
    for inner in apps.values():
        for route in inner.routes:
            found |= {(m, route.path) for m in (route.methods or {"GET", "POST"}) - {"HEAD"}}
    return found
