"""Property-based tests of ``CacheTable.upsert`` with random and malformed
ServiceTitan records: a rejected record never lands, a good one always does
(exactly as sent), and nothing but the documented ``InvalidTenant`` escapes.

Each example is a batch for a tenant of its own, written to the real
database; examples are few and have no deadline (round trips)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicetitan.cache.bulk_upsert import InvalidTenant
from servicetitan.cache.raw_tables import StJob
from tests.servicetitan.records import job, new_tenant

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BIGINT = st.integers(-(2**63), 2**63 - 1)
# Text as JSON can carry it: any character but NUL, no lone surrogates.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | FINITE | TEXT
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
TIMESTAMP = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)
).map(lambda d: d.isoformat())

# Promoted fields of a job and values of the type their column takes.
GOOD_FIELDS = {
    "jobNumber": st.none() | TEXT,
    "jobStatus": st.none() | TEXT,
    "customerId": st.none() | BIGINT,
    "appointmentCount": st.none() | st.integers(-(2**31), 2**31 - 1),
    "completedOn": st.none() | TIMESTAMP,
    "modifiedOn": st.none() | TIMESTAMP,
    "total": st.none() | st.integers(-(10**20), 10**20) | FINITE,
    "active": st.none() | st.booleans(),
}
PROMOTED = set(GOOD_FIELDS) | {"id", "createdOn", "priority", "locationId", "projectId",
                               "businessUnitId", "jobTypeId", "campaignId",
                               "firstAppointmentId", "lastAppointmentId"}  # fmt: skip
EXTRA_FIELDS = st.dictionaries(TEXT.filter(lambda k: k not in PROMOTED), JSON, max_size=3)


@st.composite
def good_job(draw, job_id: int) -> dict:
    fields = {name: draw(values) for name, values in GOOD_FIELDS.items() if draw(st.booleans())}
    return {**draw(EXTRA_FIELDS), **job(job_id), **fields}


# What makes a record unstorable: one of these, applied to a good record.
BAD_VALUES = {
    "id": st.none() | TEXT | st.floats() | st.booleans()
    | st.integers(min_value=2**63) | st.integers(max_value=-(2**63) - 1),
    "customerId": TEXT | st.floats() | st.booleans() | st.integers(min_value=2**63),
    "appointmentCount": st.integers(min_value=2**31) | st.integers(max_value=-(2**31) - 1),
    "jobStatus": st.integers() | st.lists(TEXT, max_size=2) | st.booleans(),
    "modifiedOn": st.integers() | TEXT.filter(lambda t: not t.strip()[:1].isdigit()),
    "completedOn": st.sampled_from(
        ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "2025-13-01T00:00:00Z"]
    ),
    "active": st.integers() | TEXT,
    "total": TEXT | st.booleans() | st.just(math.nan) | st.just(math.inf),
    # Characters JSON cannot carry into PostgreSQL, in any field.
    "notes": st.sampled_from(["a\x00b", "\ud800", "x\udfffy", math.nan, -math.inf]),
    # Values that are not JSON at all.
    "externalData": st.sampled_from([{1, 2}, b"bytes", datetime(2025, 1, 1), object()]),
}


@st.composite
def bad_record(draw, job_id: int):
    if draw(st.integers(0, 9)) == 0:
        return draw(st.none() | st.lists(JSON, max_size=2) | TEXT | st.integers())
    record = draw(good_job(job_id))
    field = draw(st.sampled_from(sorted(BAD_VALUES)))
    if field == "id" and draw(st.booleans()):
        del record["id"]
    else:
        record[field] = draw(BAD_VALUES[field])
    return record


@st.composite
def labelled_batch(draw) -> list[tuple[bool, object]]:
    """(good?, record) pairs with distinct ids."""
    size = draw(st.integers(1, 12))
    return [
        (True, draw(good_job(1000 + n))) if draw(st.booleans()) else (False, draw(bad_record(1000 + n)))
        for n in range(size)
    ]


def numbers_as_floats(value):
    """JSON as compared after a round trip through jsonb, which keeps
    numbers as decimals: 1e16 comes back as the integer 10000000000000000."""
    return json.loads(json.dumps(value), parse_int=float)


async def cached(conn, tenant: int) -> dict[int, dict]:
    rows = await conn.fetch(
        "SELECT id, job_status, customer_id, full_data::text AS full_data "
        "FROM raw.st_jobs WHERE tenant_id = $1",
        tenant,
    )
    return {row["id"]: row for row in rows}


def assert_stored_as_sent(row, record: dict) -> None:
    assert json.loads(row["full_data"], parse_int=float) == numbers_as_floats(record)
    assert row["job_status"] == record.get("jobStatus")
    assert row["customer_id"] == record.get("customerId")


@EXAMPLES
@given(batch=labelled_batch())
async def test_good_records_land_and_bad_ones_never_do(conn, batch):
    tenant = new_tenant()
    result = await StJob.upsert(tenant, [record for _, record in batch])

    bad = {index for index, (good, _) in enumerate(batch) if not good}
    assert {r.record - 1 for r in result.rejected} == bad
    assert all(r.reason for r in result.rejected)
    assert result.inserted == len(batch) - len(bad)
    stored = await cached(conn, tenant)
    good = {record["id"]: record for is_good, record in batch if is_good}
    assert set(stored) == set(good)
    for job_id, record in good.items():
        assert_stored_as_sent(stored[job_id], record)


@st.composite
def random_batch(draw) -> list:
    """Anything JSON can be, with promoted field names among the keys; ids,
    when integers, distinct."""
    keys = st.sampled_from(sorted(PROMOTED)) | TEXT
    records = draw(st.lists(st.dictionaries(keys, JSON, max_size=6) | JSON, max_size=10))
    for n, record in enumerate(records):
        if isinstance(record, dict) and type(record.get("id")) is int:
            record["id"] = 5000 + n
    return records


@EXAMPLES
@given(records=random_batch())
async def test_any_batch_is_either_stored_as_sent_or_rejected_with_a_reason(conn, records):
    tenant = new_tenant()
    result = await StJob.upsert(tenant, records)

    rejected = {r.record - 1 for r in result.rejected}
    accepted = [record for index, record in enumerate(records) if index not in rejected]
    assert all(type(record) is dict and type(record["id"]) is int for record in accepted)
    stored = await cached(conn, tenant)
    assert set(stored) == {record["id"] for record in accepted}
    for record in accepted:
        assert_stored_as_sent(stored[record["id"]], record)


@EXAMPLES
@given(tenant=st.none() | st.integers(max_value=0) | st.integers(min_value=2**63) | TEXT
       | st.floats() | st.booleans())  # fmt: skip
async def test_a_bad_tenant_is_refused_before_anything_is_written(conn, tenant):
    before = await conn.fetchval("SELECT count(*) FROM raw.st_jobs")
    with pytest.raises(InvalidTenant):
        await StJob.upsert(tenant, [job(1)])
    assert await conn.fetchval("SELECT count(*) FROM raw.st_jobs") == before
