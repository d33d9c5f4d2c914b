"""What ServiceTitan (or the way to it) answered when a call did not
succeed, each as one sentence an operator can act on.

No message carries a token, a client secret or the application key: they
are built from ServiceTitan's own answer (its ``ApiErrorResponse``: title,
errors, traceId; or the OAuth ``error`` and its description) and from the
request's method and path, never from its headers, body or query.
"""

from __future__ import annotations

import json

# An answer's text can be anything, a whole HTML page included.
MAX_DETAIL = 500


class ServiceTitanError(Exception):
    """A ServiceTitan call that did not succeed."""


class NotConfigured(ServiceTitanError):
    """The application key, or a host, is not configured."""


class CredentialsRejected(ServiceTitanError):
    """ServiceTitan refused the credential's client id and secret, or its
    token for the tenant: the credentials' fault, not the network's."""


class Unreachable(ServiceTitanError):
    """ServiceTitan could not be reached or did not answer in time (after
    the retries): nothing is known of the credentials."""


class ApiError(ServiceTitanError):
    """An answer that is not a success and will not become one by retrying
    (a 4xx other than 401 and 429; a 5xx once the retries are spent)."""

    def __init__(self, method: str, path: str, status: int, detail: str):
        self.method, self.path, self.status, self.detail = method, path, status, detail
        super().__init__(f"ServiceTitan answered {status} to {method} {path}: {detail}")


class MalformedAnswer(ServiceTitanError):
    """A 200 answer that is not what the endpoint returns (not JSON, not an
    export page)."""


def clipped(text: str, limit: int = MAX_DETAIL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def detail_of(status: int, reason: str, body: bytes) -> str:
    """What an error answer says: its ``ApiErrorResponse`` title, errors and
    traceId, or the OAuth error and description, or its first words."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        if "title" in answer or "errors" in answer:
            parts = [str(answer.get("title") or reason)]
            if answer.get("errors"):
                parts.append(f"errors: {json.dumps(answer['errors'], sort_keys=True)}")
            if answer.get("traceId"):
                parts.append(f"traceId {answer['traceId']}")
            return clipped("; ".join(parts))
        if "error" in answer:
            description = answer.get("error_description")
            return clipped(f"{answer['error']}" + (f": {description}" if description else ""))
    text = body.decode("utf-8", "replace").strip()
    return clipped(f"{reason}" + (f" ({text})" if text else ""))
