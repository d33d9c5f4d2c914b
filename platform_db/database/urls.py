"""Database URLs: another database on the same server, the database a URL
names, and a URL fit for a message (without its password)."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MASK = "***"

# A parameter that holds a secret: libpq's and asyncpg's `password` and
# `sslpassword` (the client key's passphrase), whatever their case.
_SECRET_NAME = re.compile(r"password", re.IGNORECASE)
# Where a URL's query may start another parameter: libpq and Python's
# parse_qs (asyncpg) split on & only; older parsers on ; too, and what
# follows # is a fragment to urlsplit but part of the value to libpq.
_SUBPARAMETER = re.compile(r"([#;])")
# key = value of a libpq key/value connection string, the value bare or
# quoted ('it''s' style escapes: \' and \\ inside quotes).
_KEYWORD_PARAMETER = re.compile(
    r"(?P<key>\b\w*password)(?P<equals>\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|\S*)", re.IGNORECASE
)
_SCHEME = re.compile(r"^\s*postgres(?:ql)?://", re.IGNORECASE)


def with_database(url: str, database: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def redacted(url: str) -> str:
    """``url`` (a database URL, or any text given where one was expected)
    without the password in any form a connection string can carry it: the
    user-info part (``user:pw@``, also with characters libpq takes unescaped
    there, such as ``?`` or a second ``@``), a ``password`` or
    ``sslpassword`` parameter of the query (its name percent-encoded or
    not), or a ``password=`` of a key/value connection string."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        return _KEYWORD_PARAMETER.sub(
            lambda m: f"{m['key']}{m['equals']}{MASK}" if m["value"] else m[0], url
        )
    start = scheme.end()
    # Where the user-info ends: libpq takes the first @ before any /,
    # Python's urlsplit (asyncpg) the last @ before any / ? or #. Masked up
    # to the later of the two, a password is hidden as either reads it.
    rest = url[start:]
    at = max(
        rest.find("@", 0, _end(rest, "/")),
        rest.rfind("@", 0, _end(rest, "/?#")),
    )
    if at >= 0 and ":" in rest[:at]:
        user = rest[:at].partition(":")[0]
        url = f"{url[:start]}{user}:{MASK}{rest[at:]}"
        at = len(user) + 1 + len(MASK)
    query = url.find("?", start + max(at, 0))
    if query < 0:
        return url
    return url[: query + 1] + "&".join(map(_masked_parameter, url[query + 1 :].split("&")))


def _end(text: str, stops: str) -> int:
    """The index of the first of ``stops`` in ``text``, else its length."""
    return min((i for i in map(text.find, stops) if i >= 0), default=len(text))


def _masked_parameter(parameter: str) -> str:
    """``key=value`` with a secret's value masked up to the next ``&`` (as
    libpq reads it); another parameter's value may hide one after a # or ;,
    or be a key/value connection string itself (libpq's ``dbname``)."""
    key, equals, value = parameter.partition("=")
    if not (equals and value):
        return parameter
    if _SECRET_NAME.search(unquote(key)):
        return f"{key}={MASK}"
    parts = _SUBPARAMETER.split(parameter)
    if len(parts) > 1:
        return "".join(part if part in ("#", ";") else _masked_parameter(part) for part in parts)
    if _KEYWORD_PARAMETER.search(unquote(value)):
        return f"{key}={MASK}"
    return parameter
