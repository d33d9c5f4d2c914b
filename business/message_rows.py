"""Messages as the bulk insert path sends them: plain dicts checked and
turned into COPY records in a few microseconds each, so a bad row is named
before anything is written."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from enum import Enum

from business.enums import MessageDirection, MessageStatus, MessageType
from business.phones import normalize_phone
from platform_db.choices import InvalidChoice
from platform_db.rejections import DataRejected

TABLE = "messages"

# COPY column order; id comes from the column default (gen_random_uuid()).
COLUMNS = (
    "company_id",
    "phone",
    "direction",
    "message_type",
    "status",
    "content",
    "whatsapp_message_id",
    "metadata",
    "created_at",
)

_ALLOWED = {
    "direction": (MessageDirection, frozenset(m.value for m in MessageDirection)),
    "message_type": (MessageType, frozenset(m.value for m in MessageType)),
    "status": (MessageStatus, frozenset(m.value for m in MessageStatus)),
}
_DEFAULTS = {"message_type": MessageType.text.value, "status": MessageStatus.received.value}
_KNOWN = frozenset(COLUMNS)


class InvalidMessage(DataRejected):
    """A message that cannot be stored; says which one (its index) and why."""

    def __init__(self, index: int, cause: Exception):
        column = getattr(cause, "column", None)
        super().__init__(TABLE, column, getattr(cause, "value", None), str(cause))
        self.index = index
        self.args = (f"{TABLE} row {index}: {cause}; nothing was inserted",)


def _choice(column: str, value) -> str:
    choices, allowed = _ALLOWED[column]
    if isinstance(value, Enum):
        value = value.value
    if value not in allowed:
        raise InvalidChoice(TABLE, column, value, choices)
    return value


def _phone(value) -> str:
    # The common case, already normalized, skips the regular expressions.
    if type(value) is str and value.isascii() and value.isdigit() and 10 <= len(value) <= 15:
        return value
    return normalize_phone(value, TABLE)


def _created_at(value) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    if not isinstance(value, datetime):
        raise DataRejected(TABLE, "created_at", value, "a datetime is required")
    # Naive datetimes are UTC in this project (platform_db.clock).
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _company_id(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DataRejected(TABLE, "company_id", value, "a UUID is required") from None


def record(message: Mapping) -> tuple:
    """One message (a mapping of column names) as a COPY record."""
    if not _KNOWN.issuperset(message):
        unknown = sorted(message.keys() - _KNOWN)[0]
        raise DataRejected(TABLE, unknown, message[unknown], "no such column")
    try:
        company_id, phone, direction = message["company_id"], message["phone"], message["direction"]
    except KeyError as missing:
        raise DataRejected(TABLE, missing.args[0], None, "is required") from None
    metadata = message.get("metadata")
    return (
        _company_id(company_id),
        _phone(phone),
        _choice("direction", direction),
        _choice("message_type", message.get("message_type") or _DEFAULTS["message_type"]),
        _choice("status", message.get("status") or _DEFAULTS["status"]),
        message.get("content"),
        message.get("whatsapp_message_id"),
        "{}" if metadata is None else json.dumps(metadata),
        _created_at(message.get("created_at")),
    )


def records(messages: Iterable[Mapping]) -> Iterator[tuple]:
    """COPY records, raising ``InvalidMessage`` (with the row's index) on the
    first bad one: the COPY it feeds then fails as a whole."""
    for index, message in enumerate(messages):
        try:
            yield record(message)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidMessage(index, exc) from exc
