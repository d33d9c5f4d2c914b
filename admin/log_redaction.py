"""No secret in the admin's logs, ever.

piccolo_api logs every refused write with its traceback, and an asyncpg
error's text carries PostgreSQL's ``DETAIL`` (``Failing row contains (...)``:
the row's values, a WhatsApp key or a credential's ciphertext among them).
``RedactSecrets`` sits on every handler of the served admin: a database
error is logged as one line (its class, SQLSTATE and message, which names
the table and constraint but no value), and any other text loses its
``DETAIL`` lines, Fernet tokens and password hashes.
"""

from __future__ import annotations

import copy
import logging
import re
import traceback

import asyncpg

FERNET_TOKEN = re.compile(r"gAAAAA[0-9A-Za-z_\-=]*")
# Piccolo's stored password: algorithm, iterations, salt, hash.
PASSWORD_HASH = re.compile(r"pbkdf2_sha256\$[^\s,)'\"]*")
DETAIL = re.compile(r"^\s*DETAIL:.*$|Failing row contains \(.*?\)\.?", re.MULTILINE)
REDACTED = "<redacted>"


def scrub(text: str) -> str:
    text = DETAIL.sub(f"DETAIL: {REDACTED}", text)
    return PASSWORD_HASH.sub(REDACTED, FERNET_TOKEN.sub(REDACTED, text))


def _database_error(exc: BaseException | None) -> asyncpg.PostgresError | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, asyncpg.PostgresError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def summary(exc: asyncpg.PostgresError) -> str:
    """The error without its DETAIL: e.g. ``CheckViolationError (23514): new
    row for relation "x" violates check constraint "y"``."""
    message = exc.args[0] if exc.args else ""
    return scrub(f"{type(exc).__name__} ({exc.sqlstate}): {message}")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            error = _database_error(record.exc_info[1])
            if error is not None:
                redacted = f"{redacted}: {summary(error)}"
                record.exc_text = None
            else:
                record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        if redacted != message:
            # uvicorn's access formatter reads the args: left alone when clean.
            record.msg, record.args = redacted, None
        return True


def uvicorn_log_config() -> dict:
    """uvicorn's own logging set-up, plus a handler for every other logger
    (piccolo_api's, the admin's), each handler filtered by RedactSecrets."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": f"{__name__}.RedactSecrets"}}
    config["handlers"]["everything"] = {
        "formatter": "default",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["root"] = {"handlers": ["everything"], "level": "INFO"}
    return config
