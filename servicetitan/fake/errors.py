"""ServiceTitan's error answers: the API's ``ApiErrorResponse`` (RFC 7807,
as ASP.NET writes it) and the token endpoint's OAuth 2.0 errors.

``ApiErrorResponse`` is ``{type, title, status, traceId, errors, data}``,
every field present (the specs require them all); ``errors`` maps a
parameter to its messages. The token endpoint answers
``{"error": "invalid_client"}`` and the like, as RFC 6749 section 5.2 says.
"""

from __future__ import annotations

import itertools

from starlette.responses import JSONResponse

TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
}
VALIDATION = "One or more validation errors occurred."
_traces = itertools.count(1)


def api_error(
    status: int, title: str, errors: dict | None = None, headers: dict | None = None
) -> JSONResponse:
    body = {
        "type": TYPES[status],
        "title": title,
        "status": status,
        "traceId": f"00-{next(_traces):032x}-{status:016x}-00",
        "errors": errors or {},
        "data": {},
    }
    return JSONResponse(body, status, headers=headers)


def invalid(parameter: str, message: str) -> JSONResponse:
    """A 400 for a query parameter ServiceTitan would not accept."""
    return api_error(400, VALIDATION, {parameter: [message]})


def rate_limited(seconds: int, header: bool = True) -> JSONResponse:
    """429, with ``Retry-After`` or (as some answers are) only the title."""
    title = f"Rate limit is exceeded. Try again in {seconds} seconds."
    return api_error(429, title, headers={"Retry-After": str(seconds)} if header else None)


def oauth_error(error: str) -> JSONResponse:
    return JSONResponse({"error": error}, 400, headers={"Cache-Control": "no-store"})
