"""No request body over ``MAX_BODY_BYTES`` reaches the admin, before
anything else looks at it: the login (which parses its body before checking
anything) and every other endpoint answer 413 to a larger one, without
parsing it. A body is read whole (at most the limit) and handed on as it
came, so what follows can read it again (``admin.audit``)."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A row of the largest table, a form, a login: kilobytes. No upload is served.
MAX_BODY_BYTES = 1024 * 1024


class TooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, or TooLarge past ``limit`` bytes (read no further)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits on the client's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        refused = PlainTextResponse(
            f"The request body is larger than {self.limit} bytes", status_code=413
        )
        try:
            if int(headers.get(b"content-length", b"0")) > self.limit:
                raise TooLarge()
            body = await read_body(receive, self.limit)
        except (TooLarge, ValueError):
            await refused(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)
