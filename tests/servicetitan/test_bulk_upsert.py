"""The bulk upsert of API records into the raw cache, against PostgreSQL."""

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from servicetitan.cache.bulk_upsert import InvalidTenant
from servicetitan.cache.raw_tables import StAppointment, StJob, StLocation, StTechnician
from tests.servicetitan.records import job, location


async def _stored_jobs(conn, tenant):
    rows = await conn.fetch(
        "SELECT id, job_status, modified_on, full_data FROM raw.st_jobs "
        "WHERE tenant_id = $1 ORDER BY id",
        tenant,
    )
    return {r["id"]: (r["job_status"], r["modified_on"], json.loads(r["full_data"])) for r in rows}


async def test_insert_promotes_columns_and_keeps_the_record(conn, tenant):
    record = job(1, completedOn="2025-03-05T17:45:12.12Z")
    result = await StJob.upsert(tenant, [record])
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (1, 0, 0, [])
    row = await conn.fetchrow("SELECT * FROM raw.st_jobs WHERE tenant_id = $1", tenant)
    assert row["id"] == 1
    assert row["job_status"] == "Scheduled"
    assert row["customer_id"] == 5001
    assert row["location_id"] == 7001
    assert row["business_unit_id"] == 11
    assert row["campaign_id"] == 31
    assert row["first_appointment_id"] == 90001
    assert row["total"] == Decimal("125.5")
    # seven fractional digits, as ServiceTitan sends them, cut to microseconds
    assert row["created_on"] == datetime(2025, 1, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)
    assert row["completed_on"] == datetime(2025, 3, 5, 17, 45, 12, 120000, tzinfo=timezone.utc)
    assert row["synced_at"] is not None
    assert json.loads(row["full_data"]) == record


async def test_newer_record_updates_and_older_one_is_skipped(conn, tenant):
    await StJob.upsert(tenant, [job(1), job(2)])
    result = await StJob.upsert(
        tenant,
        [
            job(1, modified_on="2025-03-02T00:00:00Z", jobStatus="Hold"),
            # an out-of-order page: older than what is stored
            job(2, modified_on="2025-02-01T00:00:00Z", jobStatus="Canceled"),
            job(3),
        ],
    )
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    stored = await _stored_jobs(conn, tenant)
    assert stored[1][0] == "Hold"
    assert stored[1][1] == datetime(2025, 3, 2, tzinfo=timezone.utc)
    assert stored[2][0] == "Scheduled"
    assert stored[2][2]["jobStatus"] == "Scheduled"
    assert set(stored) == {1, 2, 3}


async def test_same_record_again_is_unchanged_and_same_date_new_content_updates(conn, tenant):
    await StJob.upsert(tenant, [job(1), job(2)])
    result = await StJob.upsert(tenant, [job(1), job(2, priority="High")])
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert (await _stored_jobs(conn, tenant))[2][2]["priority"] == "High"


async def _versions(conn, tenant):
    """Each row's physical version and lock: a write or a row lock changes them."""
    return await conn.fetch(
        "SELECT id, ctid, xmin::text, xmax::text FROM raw.st_jobs WHERE tenant_id = $1 ORDER BY id",
        tenant,
    )


async def test_an_unchanged_resync_neither_writes_nor_locks_a_row(conn, tenant):
    records = [job(i) for i in range(1, 21)] + [job(21, modified_on=None)]
    await StJob.upsert(tenant, records)
    before = await _versions(conn, tenant)
    result = await StJob.upsert(tenant, records)
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (0, 0, 21, [])
    # no new row version (ctid, xmin), and not even a row lock (xmax): so no
    # heap page and no index entry was written
    assert await _versions(conn, tenant) == before
    assert {row["xmax"] for row in before} == {"0"}


async def test_a_resync_compared_by_content_writes_nothing_either(conn, tenant):
    """Rows stored without a digest (written before it existed), and records
    whose keys come in another order (another digest, the same content),
    are settled by comparing the documents: still nothing is written."""
    records = [job(i) for i in range(1, 6)]
    await StJob.upsert(tenant, records)
    await conn.execute(
        "UPDATE raw.st_jobs SET full_data_digest = NULL WHERE tenant_id = $1 AND id <= 2", tenant
    )
    before = await _versions(conn, tenant)
    reordered = [dict(reversed(list(record.items()))) for record in records]
    result = await StJob.upsert(tenant, reordered)
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (0, 0, 5, [])
    assert await _versions(conn, tenant) == before


async def test_an_undated_record_over_a_dated_one_is_rejected_with_its_reason(conn, tenant):
    """ServiceTitan always sends modifiedOn (required in every schema cached
    here); a record without it cannot be ordered against a dated cached
    version, so the cached one is kept, and the record is reported, not
    counted unchanged."""
    await StJob.upsert(tenant, [job(1), job(2)])
    result = await StJob.upsert(
        tenant, [job(1, modified_on=None, jobStatus="Hold"), job(2, modified_on=None)]
    )
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 0)
    assert [(r.record, r.id) for r in result.rejected] == [(1, 1), (2, 2)]
    assert result.rejected[0].reason == (
        "st_jobs.modified_on = None rejected: modifiedOn is missing, so the record cannot be "
        "ordered against the cached version of 2025-03-01T10:00:00+00:00, which is kept"
    )
    assert (await _stored_jobs(conn, tenant))[1][0] == "Scheduled"


async def test_an_undated_record_replaces_an_undated_one_when_its_content_differs(conn, tenant):
    await StJob.upsert(tenant, [job(1, modified_on=None), job(2, modified_on=None)])
    result = await StJob.upsert(
        tenant, [job(1, modified_on=None, jobStatus="Hold"), job(2, modified_on=None)]
    )
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (0, 1, 1, [])
    assert (await _stored_jobs(conn, tenant))[1][0] == "Hold"
    dated = await StJob.upsert(tenant, [job(2, jobStatus="Completed")])
    assert dated.updated == 1


async def test_duplicate_ids_in_one_batch_keep_the_newest(conn, tenant):
    result = await StJob.upsert(
        tenant,
        [
            job(1, modified_on="2025-03-03T00:00:00Z", jobStatus="Completed"),
            job(1, modified_on="2025-03-01T00:00:00Z", jobStatus="Scheduled"),
        ],
    )
    assert (result.inserted, result.unchanged) == (1, 1)
    assert (await _stored_jobs(conn, tenant))[1][0] == "Completed"


async def test_an_undated_record_after_a_dated_one_in_the_batch_is_rejected(conn, tenant):
    result = await StJob.upsert(
        tenant, [job(1, jobStatus="Completed"), job(1, modified_on=None, jobStatus="Hold")]
    )
    assert (result.inserted, result.unchanged) == (1, 0)
    assert [(r.record, r.id) for r in result.rejected] == [(2, 1)]
    assert "against the version earlier in the batch of 2025-03-01T10:00:00+00:00" in (
        result.rejected[0].reason
    )
    assert (await _stored_jobs(conn, tenant))[1][0] == "Completed"


@pytest.mark.parametrize(
    "record,reason",
    [
        ({"jobStatus": "Scheduled"}, "st_jobs.id = None rejected: has no id"),
        (job(5, id="17"), "st_jobs.id = '17' rejected: is not an integer; ServiceTitan ids are positive integers"),
        (job(5, id=-5), "st_jobs.id = -5 rejected: is not positive; ServiceTitan ids are positive integers"),
        ({"id": 5}, "rejected: is not a job record: it has none of the fields a job has in jpm-v2 Jpm.V2.JobResponse (appointmentCount, campaignId, customerPo, estimateIds, ...)"),
        (location(5), "rejected: is a location, not a job: it has address, name, taxExempt"),
        (job(5, id=True), "st_jobs.id = True rejected"),
        (job(5, customerId="abc"), "st_jobs.customer_id = 'abc' rejected: customerId must be an integer"),
        (job(5, modified_on="yesterday"), "st_jobs.modified_on = 'yesterday' rejected: modifiedOn is not a date-time"),
        (job(5, jobStatus=3), "st_jobs.job_status = 3 rejected: jobStatus must be a string"),
        (job(5, appointmentCount=2**40), "st_jobs.appointment_count = 1099511627776 rejected: appointmentCount must be a 32-bit integer"),
        (job(5, summary="a\x00b"), "rejected: contains a NUL character"),
        (["not", "a", "record"], "st_jobs.full_data = ['not', 'a', 'record'] rejected: is list, not a JSON object"),
    ],
)
async def test_malformed_record_is_rejected_and_the_rest_lands(conn, tenant, record, reason):
    result = await StJob.upsert(tenant, [job(1), record, job(2)])
    assert result.inserted == 2
    assert len(result.rejected) == 1
    assert result.rejected[0].record == 2  # counted from 1
    assert reason in result.rejected[0].reason
    assert set(await _stored_jobs(conn, tenant)) == {1, 2}


async def test_tenants_never_see_each_others_rows(conn, tenant):
    other = tenant + 500_000
    await StJob.upsert(tenant, [job(1, jobStatus="Scheduled"), job(2)])
    await StJob.upsert(other, [job(1, jobStatus="Hold", modified_on="2025-04-01T00:00:00Z")])
    mine = await StJob.for_tenant(tenant, StJob.id, StJob.job_status).order_by(StJob.id)
    theirs = await StJob.for_tenant(other, StJob.id, StJob.job_status)
    assert mine == [{"id": 1, "job_status": "Scheduled"}, {"id": 2, "job_status": "Scheduled"}]
    assert theirs == [{"id": 1, "job_status": "Hold"}]
    # the same ServiceTitan id in two tenants is two rows, keyed apart
    duplicate = await conn.fetchval(
        "SELECT count(*) FROM raw.st_jobs WHERE id = 1 AND tenant_id IN ($1, $2)", tenant, other
    )
    assert duplicate == 2


@pytest.mark.parametrize("tenant_id", [0, -3, "12", None, True])
async def test_tenant_must_be_a_positive_integer(migrated, tenant_id):
    with pytest.raises(InvalidTenant, match=r"st_jobs\.tenant_id = .* rejected: must be a positive integer"):
        await StJob.upsert(tenant_id, [job(1)])


async def test_locations_take_nested_address_and_sentinel_dates(conn, tenant):
    result = await StLocation.upsert(
        tenant, [location(1), location(2, address=None, zoneId=None, active=None)]
    )
    assert result.inserted == 2
    rows = await conn.fetch(
        "SELECT id, city, latitude, longitude, zone_id, tax_zone_id, active, "
        "created_on = '-infinity' AS sentinel FROM raw.st_locations WHERE tenant_id = $1 "
        "ORDER BY id",
        tenant,
    )
    assert dict(rows[0]) == {
        "id": 1, "city": "Springfield", "latitude": 39.78, "longitude": -89.65,
        "zone_id": 3, "tax_zone_id": 4, "active": True, "sentinel": True,
    }
    assert (rows[1]["city"], rows[1]["zone_id"], rows[1]["active"]) == (None, None, None)


async def test_a_nested_field_of_the_wrong_shape_is_rejected(migrated, tenant):
    result = await StLocation.upsert(tenant, [location(1, address="1 Main St")])
    assert "st_locations.street = '1 Main St' rejected: address must be an object" in result.rejected[0].reason


async def test_appointments_and_technicians_promote_their_fields(conn, tenant):
    await StAppointment.upsert(
        tenant,
        [{
            "id": 8, "jobId": 1, "start": "2025-03-10T09:00:00Z", "end": "2025-03-10T11:00:00Z",
            "arrivalWindowStart": "2025-03-10T08:00:00", "arrivalWindowEnd": None,
            "status": "Scheduled", "createdOn": "2025-03-01T00:00:00Z",
            "modifiedOn": "2025-03-01T00:00:00Z", "customerId": 42, "active": True,
        }],
    )
    await StTechnician.upsert(
        tenant,
        [{
            "id": 3, "userId": 30, "name": "Ann Lee", "email": "ann@example.com",
            "phoneNumber": "5550100", "team": "North", "businessUnitId": 11,
            "zoneIds": [1, 2], "skills": [{"id": 7, "name": "Boilers"}], "active": True,
            "createdOn": "2024-01-01T00:00:00Z", "modifiedOn": "2025-01-01T00:00:00Z",
        }],
    )
    appointment = await conn.fetchrow(
        "SELECT job_id, start_time, arrival_window_start FROM raw.st_appointments "
        "WHERE tenant_id = $1", tenant,
    )
    assert appointment["job_id"] == 1
    assert appointment["start_time"] == datetime(2025, 3, 10, 9, tzinfo=timezone.utc)
    # a time without a zone is taken as UTC
    assert appointment["arrival_window_start"] == datetime(2025, 3, 10, 8, tzinfo=timezone.utc)
    technician = await conn.fetchrow(
        "SELECT team, zone_ids, skills @> '[{\"id\": 7}]' AS boilers FROM raw.st_technicians "
        "WHERE tenant_id = $1", tenant,
    )
    assert dict(technician) == {"team": "North", "zone_ids": [1, 2], "boilers": True}



async def test_batches_inside_a_callers_transaction_count_and_roll_back_with_it(conn, tenant):
    await StJob.upsert(tenant, [job(1)], connection=conn)
    outer = conn.transaction()
    await outer.start()
    first = await StJob.upsert(tenant, [job(2), job(3)], connection=conn)
    # the first batch's staging rows are gone (else job 2 would be merged twice)
    second = await StJob.upsert(
        tenant, [job(2, modified_on="2025-04-01T00:00:00Z"), job(4)], connection=conn
    )
    assert (first.inserted, second.inserted, second.updated, second.unchanged) == (2, 1, 1, 0)
    await outer.rollback()
    assert set(await _stored_jobs(conn, tenant)) == {1}


async def test_an_upsert_inside_a_piccolo_transaction_rolls_back_with_it(migrated, conn, tenant):
    """No ``connection=``: the upsert joins ``DB.transaction()`` instead of
    committing on a pooled connection of its own."""

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with migrated.transaction():
            result = await StJob.upsert(tenant, [job(1), job(2)])
            assert result.inserted == 2
            # the ORM in the same transaction sees the uncommitted rows
            assert await StJob.count().where(StJob.tenant_id == tenant) == 2
            raise Rollback
    assert await _stored_jobs(conn, tenant) == {}


async def test_an_upsert_inside_a_piccolo_transaction_lands_when_it_commits(
    migrated, conn, tenant
):
    async with migrated.transaction():
        await StJob.upsert(tenant, [job(1)])
        # a second batch over the same id, under the first one's row lock
        second = await StJob.upsert(tenant, [job(1, modified_on="2025-04-01T00:00:00Z"), job(2)])
        assert (second.inserted, second.updated) == (1, 1)
        assert await _stored_jobs(conn, tenant) == {}  # not committed yet
    stored = await _stored_jobs(conn, tenant)
    assert set(stored) == {1, 2}
    assert stored[1][1] == datetime(2025, 4, 1, tzinfo=timezone.utc)
