"""ServiceTitan API records for tests: hand-written ones shaped like jpm-v2 /
crm-v2 responses, and ones made from the specs' schemas (every property,
values of the type and format the spec gives: ``servicetitan.fake.values``)
for each cache table, with list and export pages of them."""

from __future__ import annotations

import itertools
import random

from servicetitan.fake.specs import feeds
from servicetitan.fake.values import record

_tenants = itertools.count(9_100_000)


def new_tenant() -> int:
    """A tenant id no other test of the session uses."""
    return next(_tenants)


def job(job_id: int, modified_on: str = "2025-03-01T10:00:00Z", **fields) -> dict:
    record = {
        "id": job_id,
        "jobNumber": str(job_id),
        "projectId": None,
        "customerId": 5000 + job_id,
        "locationId": 7000 + job_id,
        "jobStatus": "Scheduled",
        "completedOn": None,
        "businessUnitId": 11,
        "jobTypeId": 21,
        "priority": "Normal",
        "campaignId": 31,
        "appointmentCount": 1,
        "firstAppointmentId": 90000 + job_id,
        "lastAppointmentId": 90000 + job_id,
        "noCharge": False,
        "notificationsEnabled": True,
        "createdOn": "2025-01-01T08:00:00.1234567Z",
        "createdById": 1,
        "modifiedOn": modified_on,
        "tagTypeIds": [1, 2],
        "customerPo": None,
        "invoiceId": 0,
        "total": 125.5,
        "estimateIds": [],
        "customFields": [{"typeId": 1, "name": "Gate code", "value": "1234"}],
        "externalData": [],
    }
    record.update(fields)
    return record


def location(location_id: int, **fields) -> dict:
    record = {
        "id": location_id,
        "customerId": 42,
        "active": True,
        "name": "Main house",
        "address": {
            "street": "1 Main St",
            "unit": None,
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
            "country": "USA",
            "latitude": 39.78,
            "longitude": -89.65,
        },
        "customFields": [],
        "createdOn": "0001-01-01T00:00:00",
        "createdById": 1,
        "modifiedOn": "2025-02-01T00:00:00.5Z",
        "zoneId": 3,
        "taxExempt": False,
        "tagTypeIds": [],
        "externalData": [],
        "taxZoneId": 4,
    }
    record.update(fields)
    return record


def spec_record(
    table: str, record_id: int, kind: str = "list", seed: int = 0, only_required: bool = False
) -> dict:
    """A record of ``table``'s entity as ServiceTitan sends it: every property
    of its list (or export) schema, or only the required ones, nullable
    ones null."""
    feed = feeds()[table.removeprefix("st_")]
    rng = random.Random(f"{table}-{record_id}-{seed}")
    made = record(feed.spec_file, feed.schema(kind), rng, only_required)
    made["id"] = record_id
    return made


def list_page(table: str, ids, page: int = 1, has_more: bool = False) -> dict:
    records = [spec_record(table, i, "list") for i in ids]
    return {"page": page, "pageSize": 50, "hasMore": has_more, "totalCount": None, "data": records}


def export_page(table: str, ids, has_more: bool = False) -> dict:
    records = [spec_record(table, i, "export") for i in ids]
    return {"hasMore": has_more, "continueFrom": "token", "data": records}
