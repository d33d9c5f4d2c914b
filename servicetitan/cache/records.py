"""ServiceTitan API records turned into cache rows, or into the reason why not.

Each promoted column is parsed by what its column type is (the parsers are
``servicetitan.cache.api_values``), so a table's ``API_FIELDS`` is all a cache
table declares. Parsing is strict about types (a string where the API sends
an integer is rejected) and lenient about what real payloads do: nulls
anywhere, timestamps with 0 to 9 fractional digits, with or without a zone
(naive ones are UTC), the same on every Python, sentinel dates such as
``0001-01-01T00:00:00`` (asyncpg writes that one, ``datetime.min``, as
``-infinity``: it still sorts before every real date, and ``full_data`` keeps
the string as it came).

This runs once per record of every bulk load, so it is written for speed:
one dict lookup and one small function call per promoted field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
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

from platform_db.values.rejections import DataRejected
from servicetitan.cache.api_values import (
    INTEGER_RANGE,
    bigint,
    bigint_list,
    boolean,
    decimal,
    double,
    full_data,
    integer_in,
    json_text,
    text,
    timestamp,
)
from servicetitan.cache.entities import not_of

POSITIVE_ID_RANGE = range(1, 2**63)


class RecordRejected(DataRejected):
    """A record that cannot be cached: which column, which value, why."""


@dataclass(frozen=True)
class Rejected:
    """A record left out: where it was (its position in its batch, counted
    from 1, and the page and file of a sync run), its id if it had one, why."""

    record: int
    id: object
    reason: str
    page: int | None = None
    file: str | None = None

    def where(self) -> str:
        place = f"record {self.record}"
        if self.page is not None:
            place = f"page {self.page} {place}"
        if self.file is not None:
            place = f"{self.file} {place}"
        return place

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "page": self.page,
            "record": self.record,
            "id": self.id,
            "reason": self.reason,
        }


def parser_for(column):
    """How a value of the API becomes a value of ``column``."""
    if isinstance(column, Array) and isinstance(column.base_column, BigInt):
        return bigint_list
    for column_type, parse in (
        (BigInt, bigint),
        (Integer, integer_in(INTEGER_RANGE, "a 32-bit integer")),
        (Timestamptz, timestamp),
        (Boolean, boolean),
        (DoublePrecision, double),
        (Numeric, decimal),
        (JSONB, json_text),
        (Text, text),
    ):
        if isinstance(column, column_type):
            return parse
    raise TypeError(f"{column._meta.table._meta.tablename}.{column._meta.name}: no parser")


class Sent(NamedTuple):
    """A record as a batch sent it: its position (from 1), id, version, the JSON text
    ``full_data`` is parsed from, and that text's digest. (A tuple: one is
    made per record of every batch.)"""

    position: int
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

    def sent(self, position: int, record) -> Sent:
        """What identifies ``record`` and its version (raises ``RecordRejected``)."""
        if type(record) is not dict:
            raise RecordRejected(
                self.tablename,
                "full_data",
                record,
                f"is {type(record).__name__}, not a JSON object",
            )
        other_entity = not_of(self.tablename, record)
        if other_entity:
            raise RecordRejected(self.tablename, "full_data", record, other_entity)
        record_id = record.get("id")
        if type(record_id) is not int or record_id not in POSITIVE_ID_RANGE:
            problem = (
                "has no id"
                if record_id is None
                else "is not positive" if type(record_id) is int else "is not an integer"
            )
            raise RecordRejected(
                self.tablename,
                "id",
                record_id,
                f"{problem}; ServiceTitan ids are positive integers",
            )
        value = record.get("modifiedOn")
        try:
            modified_on = timestamp(value)
        except ValueError as exc:
            raise RecordRejected(
                self.tablename, "modified_on", value, f"modifiedOn {exc}"
            ) from None
        text = _full_data(self.tablename, record)
        return Sent(position, record, record_id, modified_on, text, digest(text))

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
    try:
        return full_data(record)
    except ValueError as exc:
        raise RecordRejected(tablename, "full_data", record, str(exc)) from None


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


def _rejected(position: int, record, exc: RecordRejected) -> Rejected:
    record_id = record.get("id") if isinstance(record, dict) else None
    return Rejected(position, record_id, str(exc))


def sent_batch(layout: RowLayout, records) -> tuple[list[Sent], list[Rejected]]:
    """Every record's identity and JSON text, or why it is rejected."""
    sent: list[Sent] = []
    rejected: list[Rejected] = []
    for position, record in enumerate(records, start=1):
        try:
            sent.append(layout.sent(position, record))
        except RecordRejected as exc:
            rejected.append(_rejected(position, record, exc))
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
            rejected.append(_rejected(one.position, one.record, exc))
            continue
        previous = rows.get(one.id)
        if previous is not None:
            if not layout.newer(row, previous):
                kept_on = previous[layout.modified_on_position]
                if one.modified_on is None and one.full_data != previous[-2]:
                    reason = layout.undated_rejection("version earlier in the batch", kept_on)
                    rejected.append(Rejected(one.position, one.id, reason))
                else:
                    superseded += 1
                continue
            superseded += 1
        rows[one.id] = row
        positions[one.id] = one.position
    return list(rows.values()), rejected, superseded, positions
