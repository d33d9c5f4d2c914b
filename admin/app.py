"""The admin's ASGI app: Piccolo Admin at /admin/ for the tables the admin
may write, and the admin's own pages (the five questions about
credentials and syncs, the read-only tables, schema health; ``admin.pages``)
at /inspect/ and /health/, all behind one login, with the project's
security headers.

Login, session expiry, CSRF and the cookie flags are Piccolo Admin's own
(piccolo_api), configured here; the login limits are ``admin.throttle``;
which reads a replica may answer, ``admin.read_routing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from piccolo.apps.user.tables import BaseUser
from piccolo.conf.apps import Finder
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from admin.audit import AuditTrail
from admin.body_limit import BodyLimit
from admin.confirmations import Confirmations
from admin.csrf import csrf_middleware
from admin.mfa import authenticator
from admin.forms import maintenance_forms
from admin.inspected import OWN_PAGES, inspected_tables
from admin.login import login_app
from admin.pages import LOGIN, LOGOUT, QUESTIONS, READ_ONLY_TABLES, STATIC_DIR, pages_app
from admin.read_routing import ReadsAfterWrites
from admin.router import PlatformAdmin
from admin.security_headers import SecurityHeaders
from admin.table_configs import table_configs
from admin.tables import AdminMfaSecret, AdminSession
from admin.throttle import AdminThrottle

ADMIN_PATH = "/admin/"
SITE_NAME = "platform-data admin"

# A session lasts an hour from its last use, and at most a working day.
SESSION_EXPIRY = timedelta(hours=1)
MAX_SESSION_EXPIRY = timedelta(hours=12)
INCREASE_EXPIRY = timedelta(minutes=20)


def create_app(
    production: bool = False,
    allowed_hosts: Sequence[str] = (),
    throttle: AdminThrottle | None = None,
    confirmations: Confirmations | None = None,
) -> SecurityHeaders:
    """
    :param production:
        Served behind HTTPS: cookies are marked Secure.
    :param allowed_hosts:
        The host names the admin is reached by over HTTPS: a POST whose
        Origin / Referer names another host is refused (CSRF's defence in
        depth, which piccolo_api applies to HTTPS requests only).
    :param throttle:
        The login and change-password limits (default: ``AdminThrottle()``).
    :param confirmations:
        The codes that confirm a plan that removes data (default:
        ``Confirmations()``, with a secret of this process).
    """
    confirmations = confirmations or Confirmations()
    throttle = throttle or AdminThrottle()
    csrf = csrf_middleware(production)
    mfa = authenticator(SITE_NAME)
    app_configs = Finder().get_app_configs()
    inspected = inspected_tables(
        app_configs,
        auth_table=BaseUser,
        session_table=AdminSession,
        superusers_only={AdminMfaSecret},
    )
    elsewhere = {table.table for table in inspected} | set(OWN_PAGES)
    admin = PlatformAdmin(
        *table_configs(app_configs, BaseUser, elsewhere, superuser_tables={BaseUser}),
        superuser_tables=frozenset({BaseUser._meta.tablename}),
        throttle=throttle,
        csrf=csrf,
        mfa_providers=[mfa],
        forms=maintenance_forms(confirmations),
        auth_table=BaseUser,
        session_table=AdminSession,
        session_expiry=SESSION_EXPIRY,
        max_session_expiry=MAX_SESSION_EXPIRY,
        increase_expiry=INCREASE_EXPIRY,
        production=production,
        site_name=SITE_NAME,
        allowed_hosts=list(allowed_hosts),
        sidebar_links={**dict(QUESTIONS), "Read-only tables": READ_ONLY_TABLES},
    )
    pages = pages_app(
        app_configs,
        inspected,
        confirmations,
        site_name=SITE_NAME,
        auth_table=BaseUser,
        session_table=AdminSession,
        increase_expiry=INCREASE_EXPIRY,
        allowed_hosts=allowed_hosts,
        csrf=csrf,
        piccolo_admin_page=admin.get_root,
    )
    login = login_app(
        throttle,
        mfa,
        csrf,
        allowed_hosts,
        auth_table=BaseUser,
        session_table=AdminSession,
        session_expiry=SESSION_EXPIRY,
        max_session_expiry=MAX_SESSION_EXPIRY,
        production=production,
    )
    routes = [
        Route(LOGIN, login),
        Route(LOGOUT, login),
        # Piccolo Admin's page itself: anyone not logged in goes to the login.
        Route(ADMIN_PATH, pages),
        Mount(ADMIN_PATH.rstrip("/"), app=admin),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR)),
        Mount("", app=pages),
    ]
    reads = ReadsAfterWrites(Starlette(routes=routes), secure=production)
    return SecurityHeaders(BodyLimit(AuditTrail(reads)), production=production)
