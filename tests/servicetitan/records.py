"""ServiceTitan API records for tests, shaped like jpm-v2 / crm-v2 responses."""

from __future__ import annotations

import itertools

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
