"""Headers every response of the admin carries: a Content-Security-Policy
that lets pages load only the admin's own scripts, styles and images and
never be framed (X-Frame-Options too, for older browsers), no MIME
sniffing, and no Referer sent to other sites; ``Cache-Control: no-store``
on everything but the static files (no page or API answer, a user's data,
stays in a browser's or a proxy's cache); under ``--production``,
``Strict-Transport-Security`` (the browser uses HTTPS only, for a year).

piccolo_api's ``CSPMiddleware`` can only set ``default-src``; Piccolo
Admin's front end needs inline styles (its icons inject a ``<style>``) and
``data:`` images, and framing is refused by ``frame-ancestors``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
# Files of the admin's look and Piccolo Admin's front end: the same for everyone.
STATIC_PREFIXES = ("/static/", "/admin/assets/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, production: bool = False):
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        added = [
            *HEADERS,
            *([HSTS] if self.production else []),
            *([] if scope["path"].startswith(STATIC_PREFIXES) else [NO_STORE]),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in added}
                message["headers"] = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in names
                ] + added
            await send(message)

        await self.app(scope, receive, send_with_headers)
