"""The admin's own login and logout pages: piccolo_api's ``session_login``
(with the login limits of ``admin.throttle`` and the MFA of ``admin.mfa``,
as Piccolo Admin's own login has them) and ``session_logout``, in the
admin's look. A login lands on the operator's first screen (``/``); a
logout on the login page. Piccolo Admin's own JSON login
(``/admin/public/login/``) stays, for its front end and API clients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from piccolo.apps.user.tables import BaseUser
from piccolo_api.mfa.provider import MFAProvider
from piccolo_api.session_auth.endpoints import session_logout
from piccolo_api.session_auth.tables import SessionsBase
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from admin.pages import HERE, HOME, LOGIN, LOGOUT
from admin.throttle import AdminThrottle, LimitedRateLimiting

LOGIN_TEMPLATE = str(HERE / "templates" / "login.html")


def login_app(
    throttle: AdminThrottle,
    mfa: MFAProvider,
    csrf: type,
    allowed_hosts: Sequence[str],
    auth_table: type[BaseUser],
    session_table: type[SessionsBase],
    session_expiry: timedelta,
    max_session_expiry: timedelta,
    production: bool,
) -> Starlette:
    login = throttle.session_login(
        auth_table=auth_table,
        session_table=session_table,
        session_expiry=session_expiry,
        max_session_expiry=max_session_expiry,
        redirect_to=HOME,
        production=production,
        template_path=LOGIN_TEMPLATE,
        mfa_providers=[mfa],
    )
    logout = session_logout(session_table=session_table, redirect_to=LOGIN)
    return Starlette(
        routes=[
            Route(LOGIN, LimitedRateLimiting(app=login, provider=throttle.addresses)),
            Route(LOGOUT, logout, methods=["POST"]),
        ],
        middleware=[Middleware(csrf, allowed_hosts=list(allowed_hosts), allow_form_param=True)],
    )
