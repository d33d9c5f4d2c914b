"""The admin's own pages, in Piccolo Admin's look and behind its login:
the five questions an operator asks of the ServiceTitan credentials and
syncs, the read-only tables (``admin.inspected``), and schema health.

Each page is rendered on the server from one read (``admin.reads``, which
a read replica may answer: ``admin.read_routing``): it shows only the
actions that work there (as forms, with the CSRF token),
and moving from one row to another loads a fresh page, so no value of the
previous row can linger.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
from jinja2 import Environment, FileSystemLoader
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON
from piccolo.conf.apps import AppConfig
from piccolo.table import Table
from piccolo_api.csrf.middleware import CSRFMiddleware
from piccolo_api.session_auth.middleware import SessionsAuthBackend
from piccolo_api.session_auth.tables import SessionsBase
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from admin import cascades, health, queue_page, reads
from admin.cascades import Deletion
from admin.confirmations import ConfirmationRefused, Confirmations
from admin.crud import checked_value
from admin.formatting import FILTERS, duration
from admin.inspected import Inspected
from admin.read_routing import read
from platform_db.database.replicas import read as routed_read
from platform_db.values.rejections import DataRejected
from servicetitan.api.client import TenantMissing, check_connection
from servicetitan.api.errors import NotConfigured, ServiceTitanError
from servicetitan.api.tokens import REFRESH_MARGIN
from servicetitan.enums import ConnectionStatus, SyncStatus
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog, SyncLogNotRunning

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
MAX_PAGE = 100_000
SYNCS_SHOWN = 20  # on a credential's page

CREDENTIALS = "/inspect/credentials/"
FAILING = "/inspect/credentials/?failing=yes"
TOKENS = "/inspect/credentials/?token=expired,expiring,none"
FAILED_SYNCS = "/inspect/sync-logs/?status=failed"
STUCK_SYNCS = "/inspect/sync-logs/stuck/"
HEALTH = "/health/"
READ_ONLY_TABLES = "/inspect/tables/"
HOME = "/"
LOGIN = "/login/"
LOGOUT = "/logout/"
SESSION_COOKIE = "id"

# The five questions, one click each from the admin's home (its sidebar).
QUESTIONS = [
    ("Failing credentials", FAILING),
    ("Tokens expired, expiring or missing", TOKENS),
    ("Credentials and their syncs", CREDENTIALS),
    ("Failed syncs, why", FAILED_SYNCS),
    ("Stuck syncs", STUCK_SYNCS),
    ("Schema health", HEALTH),
    ("Sync queue", queue_page.QUEUE_PAGE),
]
CREDENTIAL_VIEWS = [
    ("All", CREDENTIALS),
    ("Failing", FAILING),
    ("Token expired, expiring or missing", TOKENS),
]


async def primary_read(fn, *args):
    """``fn(connection, *args)`` on the primary: what a deletion takes is
    counted where it will be deleted."""
    return await routed_read(fn, *args, stale_ok=False)


templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
templates.filters.update(FILTERS)
# What the credential overview's ``expiring`` means (its view uses the same margin).
templates.globals["expiring_means"] = (
    f"under {REFRESH_MARGIN.total_seconds():.0f} s left: the client asks for a new token"
)


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, message)


def _choice(request: Request, name: str, allowed, default=None):
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    if value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}, not {value[:40]!r}")
    return value


def _number(request: Request, name: str, default: int, maximum: int) -> int:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    # isdigit() alone takes other scripts' digits ("１", "٣")
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        raise bad_request(f"{name} must be a whole number from 1 to {maximum}, not {value[:40]!r}")
    return int(value)


def _mark(request: Request, name: str) -> tuple[str, ...] | None:
    """A page mark: the order's values of the row a page starts after."""
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if len(value) > 400 or "\x00" in value:
        raise bad_request(f"{name} is not a page mark of this list")
    return tuple(value.split(","))


def _uuid(text: str, what: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        raise bad_request(f"{what} must be a UUID, not {text[:40]!r}") from None


def _connection_tested(row: dict) -> str:
    if row["connection_status"] == "active" and row["connection_error"] is None:
        return f"Test connection: connected; the token expires at {row['token_expires_at']} UTC"
    return f"Test connection: failed ({row['connection_status']}): {row['connection_error']}"


@dataclass
class Pages:
    site_name: str
    inspected: dict[str, Inspected]
    registry: dict[str, type[Table]]  # every table of the registry, by name
    confirmations: Confirmations
    piccolo_admin_page: Callable[[Request], Awaitable[Response]]

    def render(self, request: Request, template: str, status_code: int = 200, **context):
        user = request.user.user
        groups: dict[str, list[str]] = {}
        for table in self.inspected.values():
            if user.superuser or not table.superusers_only:
                groups.setdefault(table.group, []).append(table.name)
        html = templates.get_template(template).render(
            site_name=self.site_name,
            username=request.user.display_name,
            csrftoken=request.scope.get("csrftoken", ""),
            questions=QUESTIONS,
            inspected_groups=sorted(groups.items()),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)

    # The operator's first screen ----------------------------------------------

    async def home(self, request: Request, app_configs: list[AppConfig]) -> Response:
        numbers = await read(reads.overview, health.FAILED_SYNC_HOURS)
        partitions = await health.partitions_on_the_primary()
        migrations = await read(health.migrations_by_app, app_configs)
        return self.render(
            request,
            "home.html",
            title="What needs attention",
            n=numbers,
            partitions=partitions,
            pending=sum(len(app.pending) for app in migrations),
            stuck_after=reads.STUCK_AFTER_MINUTES,
            failed_hours=health.FAILED_SYNC_HOURS,
            links=QUESTIONS,
        )

    async def admin_shell(self, request: Request) -> Response:
        """Piccolo Admin's page, for a logged-in admin (anyone else was sent
        to the login page by the middleware)."""
        return await self.piccolo_admin_page(request)

    # The questions -----------------------------------------------------------

    async def credentials(self, request: Request) -> Response:
        failing = _choice(request, "failing", ("yes", "no"))
        token = request.query_params.get("token", "")
        states = tuple(s for s in token.split(",") if s)
        unknown = [s for s in states if s not in reads.TOKEN_STATES]
        if unknown:
            raise bad_request(
                f"token must list states among {', '.join(reads.TOKEN_STATES)}, "
                f"not {unknown[0][:40]!r}"
            )
        rows = await read(reads.credentials, None if failing is None else failing == "yes", states)
        title = (
            "Failing credentials"
            if failing == "yes"
            else f"Credentials with token {', '.join(states)}" if states else "Credentials"
        )
        current = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return self.render(
            request,
            "credentials.html",
            title=title,
            rows=rows,
            views=CREDENTIAL_VIEWS,
            current=current,
        )

    async def credential(self, request: Request) -> Response:
        credential_id = request.path_params["id"]
        row, logs = await read(reads.credential_with_syncs, credential_id, SYNCS_SHOWN)
        if row is None:
            raise HTTPException(404, f"no credential {credential_id}")
        done = request.query_params.get("done")
        notice = (
            f"connection_status is now {row['connection_status']}"
            if done == "status"
            else (
                queue_page.queued_notice(request)
                if done == "queued"
                else _connection_tested(row) if done == "connection" else None
            )
        )
        return self.render(
            request,
            "credential.html",
            title=f"{row['company_name']} ({row['environment']})",
            c=row,
            logs=logs[:SYNCS_SHOWN],
            more=len(logs) > SYNCS_SHOWN,
            statuses=[s.value for s in ConnectionStatus],
            feeds=queue_page.FEEDS,
            notice=notice,
        )

    async def set_status(self, request: Request) -> Response:
        credential_id = request.path_params["id"]
        form = request.scope.get("form") or await request.form()
        credential = await ServiceTitanCredential.objects().get(
            ServiceTitanCredential.id == credential_id
        )
        if credential is None:
            raise HTTPException(404, f"no credential {credential_id}")
        try:
            await credential.change(connection_status=form.get("connection_status"))
        except DataRejected as exc:
            raise bad_request(str(exc)) from None
        return RedirectResponse(f"/inspect/credentials/{credential_id}/?done=status", 303)

    async def test_connection(self, request: Request) -> Response:
        """A new token and one API call with the credential; the outcome is
        recorded on it, and its page says it (``?done=connection``)."""
        credential_id = request.path_params["id"]
        credential = await ServiceTitanCredential.objects().get(
            ServiceTitanCredential.id == credential_id
        )
        if credential is None:
            raise HTTPException(404, f"no credential {credential_id}")
        try:
            await check_connection(credential)
        except (NotConfigured, TenantMissing) as exc:
            raise bad_request(str(exc)) from None
        except ServiceTitanError:
            pass  # the outcome is recorded on the credential, which its page shows
        return RedirectResponse(f"/inspect/credentials/{credential_id}/?done=connection", 303)

    async def sync_logs(self, request: Request, stuck: bool = False) -> Response:
        statuses = [s.value for s in SyncStatus]
        credential = request.query_params.get("credential") or None
        query = reads.SyncLogQuery(
            credential_id=_uuid(credential, "credential") if credential else None,
            status=None if stuck else _choice(request, "status", statuses),
            running_for_minutes=(
                _number(request, "minutes", reads.STUCK_AFTER_MINUTES, 100_000) if stuck else None
            ),
            page=_number(request, "page", 1, MAX_PAGE),
        )
        logs = await read(reads.sync_logs, query)
        if stuck:
            title = f"Syncs running for more than {query.running_for_minutes} minutes"
        elif query.status == "failed":
            title = "Failed syncs, newest first"
        else:
            title = "Sync logs, newest first"
        params = {k: v for k, v in request.query_params.items() if k != "page"}

        def page_url(page: int) -> str:
            return f"{request.url.path}?{urlencode({**params, 'page': page})}"

        return self.render(
            request,
            "sync_logs.html",
            title=title,
            logs=logs,
            stuck=stuck,
            minutes=query.running_for_minutes,
            statuses=statuses,
            status_filter=query.status,
            credential=credential,
            action=request.url.path,
            page=query.page,
            more=len(logs) == reads.PAGE_SIZE,
            previous_url=page_url(query.page - 1),
            next_url=page_url(query.page + 1),
        )

    async def stuck_syncs(self, request: Request) -> Response:
        return await self.sync_logs(request, stuck=True)

    async def sync_log(self, request: Request) -> Response:
        log_id = request.path_params["id"]
        log = await read(reads.sync_log, log_id)
        if log is None:
            raise HTTPException(404, f"no sync log {log_id}")
        notice = "marked as failed" if request.query_params.get("done") == "failed" else None
        title = f"Sync {log['data_type']} of {log['company_name']} ({log['environment']})"
        return self.render(
            request,
            "sync_log.html",
            title=title,
            log=log,
            notice=notice,
            stuck_after=reads.STUCK_AFTER_MINUTES,
        )

    async def mark_failed(self, request: Request) -> Response:
        log_id = request.path_params["id"]
        log = await primary_read(reads.sync_log, log_id)
        if log is None:
            raise HTTPException(404, f"no sync log {log_id}")
        if log["status"] == "running" and not log["stuck"]:
            raise HTTPException(
                409,
                f"sync log {log_id} has run for {duration(log['took'])}: it can be marked as "
                f"failed once it has run {reads.STUCK_AFTER_MINUTES} minutes (its run may "
                "still close it)",
            )
        log = await ServiceTitanSyncLog.objects().get(ServiceTitanSyncLog.id == log_id)
        try:
            await log.fail(
                f"marked as failed in the admin by {request.user.display_name}: "
                "the run stopped without closing its log",
                processed=log.records_processed or 0,
                successful=log.records_successful or 0,
                failed=log.records_failed or 0,
            )
        except SyncLogNotRunning as exc:
            raise HTTPException(409, str(exc)) from None
        except DataRejected as exc:  # counts a hand-made row got wrong
            raise bad_request(str(exc)) from None
        return RedirectResponse(f"/inspect/sync-logs/{log_id}/?done=failed", 303)

    # Read-only tables --------------------------------------------------------

    async def tables(self, request: Request) -> Response:
        return self.render(request, "tables.html", title="Read-only tables")

    @staticmethod
    def _row_id(table: Inspected, text: str):
        primary_key = table.table._meta.primary_key
        try:
            row_id = primary_key.value_type(text)
            checked_value(primary_key, "the row id", row_id)  # within an integer's range
        except ValueError:  # BadInput too
            raise bad_request(f"{text[:60]!r} is not an id of {table.name}") from None
        return row_id

    def _table(self, request: Request) -> Inspected:
        table = self.inspected.get(request.path_params["name"])
        if table is None or (table.superusers_only and not request.user.user.superuser):
            raise HTTPException(404, f"no read-only table {request.path_params['name'][:60]!r}")
        return table

    async def table_rows(self, request: Request) -> Response:
        table = self._table(request)
        given = {
            column: request.query_params[column._meta.db_column_name]
            for column in table.filter_columns()
            if request.query_params.get(column._meta.db_column_name)
        }
        filters, prefixes = {}, {}
        for column, value in given.items():
            if column._meta.db_column_name not in table.digit_filters:
                filters[column] = value
                continue
            digits = re.sub(r"\D", "", value)
            if not digits:
                raise bad_request(f"{column._meta.db_column_name} needs digits, not {value[:40]!r}")
            (prefixes if value.rstrip().endswith("*") else filters)[column] = digits
        order = table.order_by()
        query = reads.RowsQuery(
            table.table,
            table.list_columns(),
            filters,
            order,
            prefixes=prefixes,
            collated=frozenset(
                c for c in table.filter_columns() if c._meta.db_column_name in table.digit_filters
            ),
            after=_mark(request, "after"),
            before=_mark(request, "before"),
            last=request.query_params.get("last") == "yes",
            page=_number(request, "page", 1, MAX_PAGE),
        )
        try:
            found = await read(reads.table_rows, query)
        except ValueError as exc:  # a page mark of another table
            raise bad_request(str(exc)) from None
        params = {
            k: v
            for k, v in request.query_params.items()
            if k not in ("page", "after", "before", "last")
        }

        def url(**where) -> str:
            return f"?{urlencode({**params, **where})}"

        names = [c._meta.db_column_name for c in query.columns]
        rows = found.rows
        if query.by_keyset:
            pages = {
                "newest": url() if found.newer else None,
                "newer": url(before=found.cursor(rows[0], order)) if found.newer else None,
                "older": url(after=found.cursor(rows[-1], order)) if found.older else None,
                "oldest": url(last="yes") if found.older else None,
            }
        else:
            pages = {
                "previous": url(page=query.page - 1) if found.newer else None,
                "next": url(page=query.page + 1) if found.older else None,
            }
        return self.render(
            request,
            "table_rows.html",
            title=f"{table.name} (read-only)",
            name=table.name,
            rows=rows,
            found=found,
            column_names=names,
            classes={n: "time" if n in table.time_columns() else "" for n in names},
            secrets={c._meta.db_column_name for c in query.columns if c._meta.secret},
            primary_key=table.table._meta.primary_key._meta.db_column_name,
            filter_names=[c._meta.db_column_name for c in table.filter_columns()],
            filters={c._meta.db_column_name: v for c, v in given.items()},
            digit_filters=table.digit_filters,
            pages={label: link for label, link in pages.items() if link},
        )

    async def table_row(self, request: Request) -> Response:
        table = self._table(request)
        row_id = request.path_params["row_id"]
        self._row_id(table, row_id)
        row = await read(reads.table_row, table.table, row_id)
        if row is None:
            raise HTTPException(404, f"{table.name} has no row {row_id[:60]!r}")
        columns = table.table._meta.columns
        return self.render(
            request,
            "table_row.html",
            title=f"{table.name} {row_id}",
            name=table.name,
            row=row,
            row_id=row_id,
            column_names=[c._meta.db_column_name for c in columns],
            secrets={c._meta.db_column_name for c in columns if c._meta.secret},
            json_columns={c._meta.db_column_name for c in columns if isinstance(c, JSON)},
            deletable=table.deletable,
            delete_note="(deleting a key or session ends what it stood for)",
            read_only_note=table.note,
        )

    async def delete_row(self, request: Request) -> Response:
        table = self._table(request)
        if not table.deletable:
            raise HTTPException(405, f"{table.name} is read-only: {table.note}")
        row_id = request.path_params["row_id"]
        primary_key = table.table._meta.primary_key
        deleted = (
            await table.table.delete()
            .where(primary_key == self._row_id(table, row_id))
            .returning(primary_key)
        )
        if not deleted:
            raise HTTPException(404, f"{table.name} has no row {row_id[:60]!r}")
        return RedirectResponse(f"/inspect/tables/{table.name}/", 303)

    # Deleting a row with what goes with it ------------------------------------

    def _deletable(self, request: Request) -> tuple[type[Table], str]:
        if not request.user.user.superuser:
            raise HTTPException(
                403, "Only a superuser deletes a row whose deletion takes history with it"
            )
        table = self.registry.get(request.path_params["name"])
        if table is None:
            raise HTTPException(404, f"no table {request.path_params['name'][:60]!r}")
        row_id = request.path_params["row_id"]
        primary_key = table._meta.primary_key
        try:
            value = primary_key.value_type(row_id)
            checked_value(primary_key, "the row id", value)
        except ValueError:
            raise bad_request(f"{row_id[:60]!r} is not an id of {table._meta.tablename}") from None
        return table, value

    async def _what_goes(self, table: type[Table], row_id) -> Deletion:
        found = await primary_read(cascades.deletion, table, row_id)
        if not found.counts[0][1]:
            raise HTTPException(404, f"{table._meta.tablename} has no row {str(row_id)[:60]!r}")
        return found

    def _delete_page(self, request, table, found: Deletion, status_code=200, refused=None):
        session = request.cookies.get(SESSION_COOKIE, "")
        return self.render(
            request,
            "delete.html",
            status_code=status_code,
            title=f"Delete {table._meta.tablename} {found.row_id}",
            deletion=found,
            history=dict(found.history),
            action=request.url.path,
            code=self.confirmations.issue(session, f"delete {found.table}", found.plan()),
            refused=refused,
        )

    async def delete_with_history(self, request: Request) -> Response:
        table, row_id = self._deletable(request)
        return self._delete_page(request, table, await self._what_goes(table, row_id))

    async def confirm_delete(self, request: Request) -> Response:
        table, row_id = self._deletable(request)
        form = request.scope.get("form") or await request.form()
        primary_key = table._meta.primary_key
        async with table._meta.db.transaction() as transaction:
            # Counted in the transaction that deletes, the row locked: no new
            # row can point to it meanwhile.
            found = await cascades.deletion(transaction.connection, table, row_id, lock=True)
            if not found.counts[0][1]:
                raise HTTPException(404, f"{table._meta.tablename} has no row {str(row_id)[:60]!r}")
            try:
                self.confirmations.redeem(
                    request.cookies.get(SESSION_COOKIE, ""),
                    f"delete {found.table}",
                    found.plan(),
                    str(form.get("confirmation", "")),
                )
            except ConfirmationRefused as exc:
                return self._delete_page(request, table, found, 409, f"Not deleted: {exc}.")
            await table.delete().where(primary_key == row_id)
        request.scope.setdefault("audit", {})["deleted"] = dict(found.counts)
        return self.render(
            request,
            "deleted.html",
            title=f"Deleted {table._meta.tablename} {found.row_id}",
            deletion=found,
        )

    # Schema health -----------------------------------------------------------

    async def health(self, request: Request, app_configs: list[AppConfig]) -> Response:
        report = dataclasses.replace(
            await read(health.report, app_configs),
            partitions=await health.partitions_on_the_primary(),
        )
        return self.render(
            request,
            "health.html",
            title="Schema health",
            report=report,
            replicas=health.replicas(),
        )

    async def refused(self, request: Request, exc: HTTPException) -> Response:
        return self.render(
            request,
            "refused.html",
            status_code=exc.status_code,
            title="Not done",
            refused=exc.detail,
        )

    async def bad_value(self, request: Request, exc: asyncpg.DataError) -> Response:
        """A filter PostgreSQL could not read (e.g. letters for a tenant id):
        its message, which names the type and the value given."""
        return await self.refused(request, bad_request(exc.args[0] if exc.args else str(exc)))


def pages_app(
    app_configs: list[AppConfig],
    inspected: list[Inspected],
    confirmations: Confirmations,
    site_name: str,
    auth_table: type[BaseUser],
    session_table: type[SessionsBase],
    increase_expiry,
    allowed_hosts,
    csrf: type[CSRFMiddleware],
    piccolo_admin_page: Callable[[Request], Awaitable[Response]],
):
    """The pages as an ASGI app: a logged-in admin user only (anyone else is
    sent to the admin's login), CSRF-checked forms."""
    tables = {t._meta.tablename: t for app in app_configs for t in app.table_classes}
    pages = Pages(
        site_name,
        {table.name: table for table in inspected},
        tables,
        confirmations,
        piccolo_admin_page,
    )

    async def health_page(request: Request) -> Response:
        return await pages.health(request, app_configs)

    async def home_page(request: Request) -> Response:
        return await pages.home(request, app_configs)

    async def sync_queue(request: Request) -> Response:
        return await queue_page.queue_page(pages, request)

    def uuid_route(path: str, endpoint, **kwargs) -> Route:
        async def checked(request: Request) -> Response:
            _uuid(request.path_params["id"], "the id")
            return await endpoint(request)

        return Route(path, checked, **kwargs)

    routes = [
        Route("/", home_page),
        Route("/admin/", pages.admin_shell),
        Route("/inspect/credentials/", pages.credentials),
        uuid_route("/inspect/credentials/{id}/", pages.credential),
        uuid_route("/inspect/credentials/{id}/status/", pages.set_status, methods=["POST"]),
        uuid_route(
            "/inspect/credentials/{id}/test-connection/", pages.test_connection, methods=["POST"]
        ),
        Route("/inspect/sync-logs/", pages.sync_logs),
        Route("/inspect/sync-logs/stuck/", pages.stuck_syncs),
        uuid_route("/inspect/sync-logs/{id}/", pages.sync_log),
        uuid_route("/inspect/sync-logs/{id}/fail/", pages.mark_failed, methods=["POST"]),
        Route("/inspect/tables/", pages.tables),
        Route("/inspect/tables/{name}/", pages.table_rows),
        Route("/inspect/tables/{name}/{row_id}/", pages.table_row),
        Route("/inspect/tables/{name}/{row_id}/delete/", pages.delete_row, methods=["POST"]),
        Route("/inspect/delete/{name}/{row_id}/", pages.delete_with_history),
        Route(
            "/inspect/delete/{name}/{row_id}/",
            pages.confirm_delete,
            methods=["POST"],
            name="confirm_delete",
        ),
        Route("/health/", health_page),
        Route(queue_page.QUEUE_PAGE, sync_queue),
        uuid_route("/inspect/credentials/{id}/sync/", queue_page.sync_now, methods=["POST"]),
    ]

    def to_login(request, exc) -> RedirectResponse:
        return RedirectResponse(LOGIN, status_code=303)

    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: pages.refused, asyncpg.DataError: pages.bad_value},
        middleware=[
            Middleware(csrf, allowed_hosts=list(allowed_hosts), allow_form_param=True),
            Middleware(
                AuthenticationMiddleware,
                backend=SessionsAuthBackend(
                    auth_table=auth_table,
                    session_table=session_table,
                    admin_only=True,
                    increase_expiry=increase_expiry,
                ),
                on_error=to_login,
            ),
        ],
    )
