"""The admin's ASGI app: Piccolo Admin at /admin/ and the schema-health page
at /health/, both behind the admin's login.

Login, session expiry, the login rate limit, CSRF and the cookie flags are
Piccolo Admin's own (piccolo_api middleware), configured here, not rewritten.
"""

from __future__ import annotations

from datetime import timedelta

from piccolo.apps.user.tables import BaseUser
from piccolo.conf.apps import Finder
from piccolo_admin.endpoints import create_admin
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route

from admin.crud import column_name_crud
from admin.forms import MAINTENANCE_FORMS
from admin.health_page import health_app
from admin.table_configs import table_configs
from admin.tables import AdminSession

ADMIN_PATH = "/admin/"
HEALTH_PATH = "/health/"
SITE_NAME = "platform-data admin"

# A session lasts an hour from its last use, and at most a working day.
SESSION_EXPIRY = timedelta(hours=1)
MAX_SESSION_EXPIRY = timedelta(hours=12)
INCREASE_EXPIRY = timedelta(minutes=20)


def create_app(production: bool = False) -> Starlette:
    """
    :param production:
        Served behind HTTPS: Piccolo Admin then marks its cookies Secure.
    """
    app_configs = Finder().get_app_configs()
    with column_name_crud():
        admin = create_admin(
            tables=table_configs(app_configs, auth_table=BaseUser),
            forms=MAINTENANCE_FORMS,
            auth_table=BaseUser,
            session_table=AdminSession,
            session_expiry=SESSION_EXPIRY,
            max_session_expiry=MAX_SESSION_EXPIRY,
            increase_expiry=INCREASE_EXPIRY,
            production=production,
            site_name=SITE_NAME,
            sidebar_links={"Schema health": HEALTH_PATH},
        )
    health = health_app(
        app_configs,
        admin_path=ADMIN_PATH,
        auth_table=BaseUser,
        session_table=AdminSession,
        increase_expiry=INCREASE_EXPIRY,
    )
    return Starlette(
        routes=[
            Route("/", lambda request: RedirectResponse(ADMIN_PATH)),
            Mount(ADMIN_PATH.rstrip("/"), app=admin),
            Mount(HEALTH_PATH.rstrip("/"), app=health),
        ]
    )
