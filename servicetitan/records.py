"""ServiceTitan API records turned into cache rows, or into the reason why not.

Each promoted column is parsed by what its column type is, so a table's
``API_FIELDS`` is all a cache table declares. Parsing is strict about types
(a string where the API sends an integer is rejected) and lenient about what
real payloads do: nulls anywhere, timestamps with 0 to 7 fractional digits,
with or without a zone (naive ones are UTC), sentinel dates such as
``0001-01-01T00:00:00`` (asyncpg writes that one, ``datetime.min``, as
``-infinity``: it still sorts before every real date, and ``full_data`` keeps
the string as it came).

This runs once per record of every bulk load, so it is written for speed:
one dict lookup and one small function call per promoted field.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from hashlib import blake2b
from typing import NamedTuple

from asyncpg.pgproto.pgproto import UUID as AsyncpgUUID
from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Numeric,
    Text,
    Timestamptz,
)

from platform_db.rejections import DataRejected

BIGINT_RANGE = range(-(2**63), 2**63)
INTEGER_RANGE = range(-(2**31), 2**31)

# Compact and ASCII-safe: what PostgreSQL parses into full_data. NaN and
# Infinity (which Python's json reads) are refused: JSON has no such numbers.
_encode_json = json.JSONEncoder(
    separators=(",", ":"), check_circular=False, allow_nan=False
).encode
# Only used to tell a lone surrogate (which PostgreSQL refuses) from a pair.
_encode_json_unicode = json.JSONEncoder(check_circular=False, ensure_ascii=False).encode


class RecordRejected(DataRejected):
    """A record that cannot be cached: which column, which value, why."""


@dataclass(frozen=True)
class Rejected:
    """A record left out of a batch: its position, its id if it had one, why."""

    index: int
    id: object
    reason: str

    def as_dict(self) -> dict:
        return {"index": self.index, "id": self.id, "reason": self.reason}


def _integer_in(allowed: range, type_name: str):
    def parse(value):
        if value is None or (type(value) is int and value in allowed):
            return value
        raise ValueError(f"must be {type_name}")

    return parse


def _text(value):
    if value is None or type(value) is str:
        return value
    raise ValueError("must be a string")


def _boolean(value):
    if value is None or type(value) is bool:
        return value
    raise ValueError("must be true or false")


def _double(value):
    if value is None or type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    raise ValueError("must be a number")


def _decimal(value):
    if value is None:
        return None
    if type(value) is int or type(value) is float:
        # str() first: Decimal(0.1) would keep the float's binary noise
        return Decimal(str(value))
    raise ValueError("must be a number")


_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def _timestamp(value):
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError("must be a date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _timestamp_before_python_311(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        # In UTC here: the driver's conversion would overflow outside years 1-9999.
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of the range of dates (years 1 to 9999 in UTC)") from None


def _timestamp_before_python_311(value: str) -> datetime:
    """Python 3.10's ``fromisoformat`` knows neither ``Z`` nor 7 digits."""
    normalized = _FRACTION.sub(r"\1", value.replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        return datetime.fromisoformat(normalized)
    except ValueError:
        raise ValueError("is not a date-time") from None


def _json(value):
    if value is None:
        return None
    try:
        return _encode_json(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"is not JSON ({exc})") from None


_bigint = _integer_in(BIGINT_RANGE, "an integer")


def _bigint_list(value):
    if value is None:
        return None
    if type(value) is not list:
        raise ValueError("must be a list of integers")
    for item in value:
        _bigint(item)
        if item is None:
            raise ValueError("must be a list of integers")
    return value


def parser_for(column):
    """How a value of the API becomes a value of ``column``."""
    if isinstance(column, Array) and isinstance(column.base_column, BigInt):
        return _bigint_list
    for column_type, parse in (
        (BigInt, _bigint),
        (Integer, _integer_in(INTEGER_RANGE, "a 32-bit integer")),
        (Timestamptz, _timestamp),
        (Boolean, _boolean),
        (DoublePrecision, _double),
        (Numeric, _decimal),
        (JSONB, _json),
        (Text, _text),
    ):
        if isinstance(column, column_type):
            return parse
    raise TypeError(f"{column._meta.table._meta.tablename}.{column._meta.name}: no parser")


class Sent(NamedTuple):
    """A record as a batch sent it: its position, id, version, the JSON text
    ``full_data`` is parsed from, and that text's digest. (A tuple: one is
    made per record of every batch.)"""

    index: int
    record: dict
    id: int
    modified_on: datetime | None
    full_data: str
    digest: uuid.UUID


def digest(text: str) -> uuid.UUID:
    """128 bits of BLAKE2b of a record's JSON text, stored beside it
    (``full_data_digest``): a re-sync compares digests, not documents. A
    UUID only as a compact, fixed-size value every client can show; asyncpg's
    own UUID (a ``uuid.UUID``) is made ten times faster than the standard
    one."""
    return AsyncpgUUID(blake2b(text.encode(), digest_size=16).digest())


@dataclass(frozen=True)
class RowLayout:
    """The columns a cache table's rows are copied with, and how a record
    fills them: ``tenant_id``, ``id``, the promoted fields, ``full_data``
    and its digest."""

    tablename: str
    columns: tuple[str, ...]
    # (column, API field, nested field or None, parser)
    fields: tuple[tuple[str, str, str | None, object], ...]
    modified_on_position: int

    def sent(self, index: int, record) -> Sent:
        """What identifies ``record`` and its version (raises ``RecordRejected``)."""
        if type(record) is not dict:
            raise RecordRejected(
                self.tablename, "full_data", record, f"is {type(record).__name__}, not a JSON object"
            )
        record_id = record.get("id")
        if type(record_id) is not int or record_id not in BIGINT_RANGE:
            problem = "has no id" if record_id is None else "is not an integer"
            raise RecordRejected(
                self.tablename, "id", record_id, f"{problem}; ServiceTitan ids are integers"
            )
        value = record.get("modifiedOn")
        try:
            modified_on = _timestamp(value)
        except ValueError as exc:
            raise RecordRejected(
                self.tablename, "modified_on", value, f"modifiedOn {exc}"
            ) from None
        text = _full_data(self.tablename, record)
        return Sent(index, record, record_id, modified_on, text, digest(text))

    def row(self, tenant_id: int, sent: Sent) -> tuple:
        """The row of a sent record (raises ``RecordRejected``)."""
        record = sent.record
        values = [tenant_id, sent.id]
        for column, field, nested, parse in self.fields:
            value = record.get(field)
            if nested is not None and value is not None:
                if type(value) is not dict:
                    raise RecordRejected(
                        self.tablename, column, value, f"{field} must be an object"
                    )
                value = value.get(nested)
            try:
                values.append(parse(value))
            except ValueError as exc:
                name = field if nested is None else f"{field}.{nested}"
                raise RecordRejected(self.tablename, column, value, f"{name} {exc}") from None
        values.append(sent.full_data)
        values.append(sent.digest)
        return tuple(values)

    def newer(self, row: tuple, than: tuple) -> bool:
        """Whether ``row`` wins over ``than`` for the same id (ties: the later)."""
        mine, theirs = row[self.modified_on_position], than[self.modified_on_position]
        return theirs is None or (mine is not None and mine >= theirs)

    def undated_rejection(self, kept: str, kept_on: datetime) -> str:
        """Why a record without ``modifiedOn`` is not cached over the
        ``kept`` version dated ``kept_on``: it cannot be ordered against it."""
        return str(
            RecordRejected(
                self.tablename,
                "modified_on",
                None,
                "modifiedOn is missing, so the record cannot be ordered against the "
                f"{kept} of {kept_on.isoformat()}, which is kept",
            )
        )


def _full_data(tablename: str, record: dict) -> str:
    """The record as the JSON text ``full_data`` is parsed from."""

    def rejected(reason: str) -> RecordRejected:
        return RecordRejected(tablename, "full_data", record, reason)

    try:
        text = _json(record)
    except ValueError as exc:
        raise rejected(str(exc)) from None
    # Both checks run only when the cheap substring test says they might fail.
    if "\\u0000" in text and _holds_nul(record):
        raise rejected("contains a NUL character (\\u0000), which PostgreSQL cannot store")
    if "\\ud" in text:
        try:
            _encode_json_unicode(record).encode("utf-8")
        except UnicodeEncodeError:
            raise rejected(
                "contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text"
            ) from None
    return text


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


@cache
def layout_for(table) -> RowLayout:
    fields = []
    for column_name, api_field in table.API_FIELDS.items():
        field, _, nested = api_field.partition(".")
        column = table._meta.get_column_by_name(column_name)
        fields.append((column_name, field, nested or None, parser_for(column)))
    if table.API_FIELDS.get("modified_on") != "modifiedOn":
        raise TypeError(f"{table.__name__}: modified_on must come from modifiedOn (Sent reads it)")
    columns = ("tenant_id", "id", *table.API_FIELDS, "full_data", "full_data_digest")
    return RowLayout(
        tablename=table._meta.tablename,
        columns=columns,
        fields=tuple(fields),
        modified_on_position=columns.index("modified_on"),
    )


def _rejected(index: int, record, exc: RecordRejected) -> Rejected:
    record_id = record.get("id") if isinstance(record, dict) else None
    return Rejected(index, record_id, str(exc))


def sent_batch(layout: RowLayout, records) -> tuple[list[Sent], list[Rejected]]:
    """Every record's identity and JSON text, or why it is rejected."""
    sent: list[Sent] = []
    rejected: list[Rejected] = []
    for index, record in enumerate(records):
        try:
            sent.append(layout.sent(index, record))
        except RecordRejected as exc:
            rejected.append(_rejected(index, record, exc))
    return sent, rejected


def parse_batch(
    layout: RowLayout, tenant_id: int, sent: list[Sent]
) -> tuple[list[tuple], list[Rejected], int, dict[int, int]]:
    """Rows to write (one per id, the newest), rejected records, how many
    records were superseded by a newer one of the same id in the batch, and
    each written id's position in the batch. ``sent`` is in batch order."""
    rows: dict[int, tuple] = {}
    positions: dict[int, int] = {}
    rejected: list[Rejected] = []
    superseded = 0
    for one in sent:
        try:
            row = layout.row(tenant_id, one)
        except RecordRejected as exc:
            rejected.append(_rejected(one.index, one.record, exc))
            continue
        previous = rows.get(one.id)
        if previous is not None:
            if not layout.newer(row, previous):
                kept_on = previous[layout.modified_on_position]
                if one.modified_on is None and one.full_data != previous[-2]:
                    reason = layout.undated_rejection("version earlier in the batch", kept_on)
                    rejected.append(Rejected(one.index, one.id, reason))
                else:
                    superseded += 1
                continue
            superseded += 1
        rows[one.id] = row
        positions[one.id] = one.index
    return list(rows.values()), rejected, superseded, positions
