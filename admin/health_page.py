"""The schema-health page: an HTML page of the admin's ASGI app, behind the
admin's own login (the same session cookie and table), linked from the
admin's sidebar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from html import escape

from piccolo.apps.user.tables import BaseUser
from piccolo.conf.apps import AppConfig
from piccolo.engine import engine_finder
from piccolo_api.session_auth.middleware import SessionsAuthBackend
from piccolo_api.session_auth.tables import SessionsBase
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from admin import health

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f0f0f0; }
.warn { color: #a40000; font-weight: bold; }
.none { color: #666; font-style: italic; }
"""


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _text(value: object) -> str:
    return "" if value is None else escape(str(value))


def _none(message: str) -> str:
    return f'<p class="none">{escape(message)}</p>'


def migrations_section(apps: list[health.AppMigrations]) -> str:
    rows = [
        (
            escape(app.app_name),
            len(app.applied),
            (f'<span class="warn">{len(app.pending)}: ' + escape(", ".join(app.pending)) + "</span>")
            if app.pending
            else "0",
            escape(", ".join(app.unknown)) or "",
            _text(app.applied[-1][0] if app.applied else None),
        )
        for app in apps
    ]
    return "<h2>Migrations</h2>" + _table(
        ["app", "applied", "pending", "applied but no file", "newest applied"], rows
    )


def partitions_section(report: health.PartitionReport | None) -> str:
    title = "<h2>messages partitions</h2>"
    if report is None:
        return title + _none(f"no messages table ({health.MESSAGES_TABLE} does not exist)")
    if report.default_rows is None:
        default = _none("no DEFAULT partition")
    elif report.default_rows:
        default = (
            f'<p class="warn">the DEFAULT partition holds {report.default_rows} rows: '
            "their months have no partition</p>"
        )
    else:
        default = "<p>the DEFAULT partition is empty</p>"
    current = "" if report.current_month_covered else (
        '<p class="warn">the current month has no partition</p>'
    )
    ahead = f"<p>months ahead covered: <b>{report.months_ahead}</b></p>"
    rows = [
        (_text(p.name), _text(p.bounds), p.rows, _text(p.size)) for p in report.partitions
    ]
    return title + current + ahead + default + _table(["partition", "bounds", "rows", "size"], rows)


def sync_state_section(rows: list[dict] | None) -> str:
    title = "<h2>Last sync per tenant and table (raw.sync_state)</h2>"
    if rows is None:
        return title + _none(f"no {health.SYNC_STATE_TABLE} table")
    if not rows:
        return title + _none("no syncs recorded")
    columns = list(rows[0])
    return title + _table(columns, [[_text(row[c]) for c in columns] for row in rows])


def failed_syncs_section(rows: list[dict] | None, admin_path: str) -> str:
    title = f"<h2>Failed syncs, last {health.FAILED_SYNC_HOURS} hours</h2>"
    if rows is None:
        return title + _none("no servicetitan_sync_logs table")
    if not rows:
        return title + _none("none")
    table_rows = [
        (
            f'<a href="{admin_path}#/servicetitan_sync_logs/{escape(str(row["id"]))}/">'
            f'{_text(row["started_at"])}</a>',
            _text(row["company"]),
            _text(row["environment"]),
            _text(row["sync_type"]),
            _text(row["data_type"]),
            _text(row["records_processed"]),
            _text(row["records_failed"]),
            _text(row["error_message"]),
        )
        for row in rows
    ]
    headers = ["started (UTC)", "company", "environment", "sync", "data", "processed", "failed",
               "error"]
    return title + _table(headers, table_rows)


async def render(conn, app_configs: list[AppConfig], admin_path: str) -> str:
    sections = [
        migrations_section(await health.migrations_by_app(conn, app_configs)),
        partitions_section(await health.messages_partitions(conn)),
        sync_state_section(await health.sync_state(conn)),
        failed_syncs_section(await health.failed_sync_logs(conn), admin_path),
    ]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Schema health</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<p><a href="{admin_path}">&larr; back to the admin</a></p><h1>Schema health</h1>'
        + "".join(sections)
        + "</body></html>"
    )


def health_app(
    app_configs: list[AppConfig],
    admin_path: str,
    auth_table: type[BaseUser],
    session_table: type[SessionsBase],
    increase_expiry: timedelta | None,
) -> ASGIApp:
    """The page, served only to a logged-in admin user; anyone else is sent
    to the admin's login."""

    async def page(request: Request) -> HTMLResponse:
        conn = await engine_finder().get_new_connection()
        try:
            return HTMLResponse(await render(conn, app_configs, admin_path))
        finally:
            await conn.close()

    def to_login(request, exc) -> RedirectResponse:
        return RedirectResponse(admin_path, status_code=303)

    return AuthenticationMiddleware(
        Starlette(routes=[Route("/", page)]),
        backend=SessionsAuthBackend(
            auth_table=auth_table,
            session_table=session_table,
            admin_only=True,
            increase_expiry=increase_expiry,
        ),
        on_error=to_login,
    )
