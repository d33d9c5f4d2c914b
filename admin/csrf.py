"""piccolo_api's double-submit CSRF check, with the token bound to the
session: once a user is logged in, the ``csrftoken`` cookie must be the HMAC
of their session token under a secret of this process, so a token planted
in the browser by someone else (a sibling subdomain can set a cookie) or
carried over from before the login is refused. The token is handed out
with the login's own answer and on every page, in a cookie with the
session's lifetime, SameSite=Strict, and Secure under ``--production``.
(Not HttpOnly: Piccolo Admin's front end reads it to send it back.)

The Origin / Referer check that piccolo_api makes on HTTPS requests only is
made on every write when the admin knows its host names
(``--allowed_hosts``): a page of another site cannot post here, whatever
the scheme the admin sees (``piccolo admin serve`` also refuses
``--production`` without ``--trusted_proxies``, which tell it the scheme).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from piccolo_api.csrf.middleware import CSRFMiddleware
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "id"
MAX_AGE = 12 * 3600  # the longest a session lasts (admin.app.MAX_SESSION_EXPIRY)


class SessionBoundCSRF(CSRFMiddleware):
    secret: bytes = b""
    production: bool = False

    def bound_token(self, session: str) -> str:
        return hmac.new(self.secret, session.encode(), hashlib.sha256).hexdigest()

    def _expected(self, request: Request) -> str | None:
        session = request.cookies.get(SESSION_COOKIE)
        return self.bound_token(session) if session else None

    def _set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.cookie_name,
            token,
            max_age=MAX_AGE,
            path="/",
            secure=self.production,
            samesite="strict",
        )

    def _foreign_origin(self, request: Request) -> bool:
        return bool(
            self.allowed_hosts
            and (request.headers.get("origin") or request.headers.get("referer"))
            and not self.is_valid_referer(request)
        )

    async def dispatch(self, request: Request, call_next) -> Response:
        expected = self._expected(request)
        given = request.cookies.get(self.cookie_name)
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            token = expected or given or self.get_new_token()
            request.scope.update({"csrftoken": token, "csrf_cookie_name": self.cookie_name})
            response = await call_next(request)
            if token != given:
                self._set_cookie(response, token)
            return response
        if self._foreign_origin(request):
            return Response("Referer or origin is incorrect", status_code=403)
        if expected is not None and given is not None and not hmac.compare_digest(given, expected):
            return Response(
                "The CSRF token is not this session's: reload the page", status_code=403
            )
        response = await super().dispatch(request, call_next)
        session = _session_set_by(response)
        if session is not None:  # a login: its token, with its answer
            self._set_cookie(
                response, self.bound_token(session) if session else secrets.token_hex(16)
            )
        return response


def _session_set_by(response: Response) -> str | None:
    """The session cookie this response sets ("" when it clears it), or None."""
    for name, value in response.raw_headers:
        if name.lower() == b"set-cookie":
            cookie = SimpleCookie(value.decode("latin-1"))
            if SESSION_COOKIE in cookie:
                return cookie[SESSION_COOKIE].value
    return None


def csrf_middleware(production: bool, secret: bytes | None = None) -> type[SessionBoundCSRF]:
    """The middleware class, with its secret and cookie flags, for
    ``Middleware(...)`` and Piccolo Admin's router alike."""
    return type(
        "SessionBoundCSRF",
        (SessionBoundCSRF,),
        {"secret": secret or secrets.token_bytes(32), "production": production},
    )
