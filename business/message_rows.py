"""Messages as the bulk insert path sends them: plain dicts checked and
turned into COPY records in a few microseconds each, so a bad row is named
before anything is written. Every column is checked here, so that the one
refusal left to PostgreSQL is an unknown company (a foreign key, checked at
the end of the COPY), which ``Records.unknown_company`` traces to its row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from enum import Enum

from business.enums import MessageDirection, MessageStatus, MessageType
from business.phones import normalize_phone
from platform_db.values.choices import InvalidChoice
from platform_db.values.guarded import text_problem
from platform_db.values.json_text import json_text
from platform_db.values.rejections import DataRejected

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
WHATSAPP_MESSAGE_ID_LENGTH = 100  # varchar(100)


class InvalidMessage(DataRejected):
    """A message that cannot be stored; says which one (its index) and why."""

    def __init__(self, index: int, cause: Exception):
        column = getattr(cause, "column", None)
        super().__init__(TABLE, column, getattr(cause, "value", None), str(cause))
        self.index = index
        self.args = (f"{TABLE} row {index}: {cause}; nothing was inserted",)


def _text(column: str, value, length: int | None = None) -> str | None:
    if value is None:
        return None
    problem = text_problem(value, length)
    if problem:
        raise DataRejected(TABLE, column, value, problem)
    return value


def _metadata(value) -> str:
    if value is None:
        return "{}"
    try:
        return json_text(value)
    except ValueError as exc:
        raise DataRejected(TABLE, "metadata", value, str(exc)) from None


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
    # Naive datetimes are UTC in this project (platform_db.values.clock).
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
    return (
        _company_id(company_id),
        _phone(phone),
        _choice("direction", direction),
        _choice("message_type", message.get("message_type") or _DEFAULTS["message_type"]),
        _choice("status", message.get("status") or _DEFAULTS["status"]),
        _text("content", message.get("content")),
        _text("whatsapp_message_id", message.get("whatsapp_message_id"), WHATSAPP_MESSAGE_ID_LENGTH),
        _metadata(message.get("metadata")),
        _created_at(message.get("created_at")),
    )


class Records:
    """The COPY records of ``messages``, made as the COPY reads them: the
    first bad message raises ``InvalidMessage`` (with its index), and the
    COPY it feeds fails as a whole."""

    def __init__(self, messages: Iterable[Mapping]):
        self.messages = messages
        # The first row of each company, to name the row of an unknown one.
        self.first_of_company: dict[uuid.UUID, int] = {}

    def __iter__(self) -> Iterator[tuple]:
        first_of_company = self.first_of_company
        for index, message in enumerate(self.messages):
            try:
                row = record(message)
            except (ValueError, TypeError, AttributeError) as exc:
                raise InvalidMessage(index, exc) from exc
            if row[0] not in first_of_company:
                first_of_company[row[0]] = index
            yield row

    def unknown_company(self, known: set) -> InvalidMessage:
        """The first message whose company is not among ``known`` (the
        batch's companies that exist), after PostgreSQL refused one."""
        index, company_id = min(
            (index, company_id)
            for company_id, index in self.first_of_company.items()
            if company_id not in known
        )
        return InvalidMessage(
            index, DataRejected(TABLE, "company_id", company_id, "no companies row has this id")
        )
