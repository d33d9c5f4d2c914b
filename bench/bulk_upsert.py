"""Benchmark: the cache's bulk upsert API against the fastest plain path.

Loads N realistic job records (~1 KB of JSON each, shaped like jpm-v2's
``JobResponse``) for one tenant into ``raw.st_jobs`` three times: insert,
an update of every record, then the same records again (an unchanged
re-sync). First through the plain path (COPY into a staging table + one
``INSERT … ON CONFLICT DO UPDATE`` per page, rows built by hand with no
validation), then, on an emptied table, through ``StJob.upsert`` (with
``--rounds 2`` or more, every other round the other way round). Only the
load is timed; records are generated per page outside the clock. Prints
rows/s of each, the ratio API / plain, the unchanged re-sync's rate against
the insert's, and what the re-sync wrote: rows whose version (``xmin``) or
lock (``xmax``) changed, and the WAL the server wrote meanwhile
(server-wide: other databases' writes count too).

Runs on a database of its own (created and dropped here) on the server of
``DATABASE_URL``, or the embedded one:

    .venv/bin/python -m bench.bulk_upsert [--rows 200000] [--page 5000]
        [--gin jsonb_path_ops|jsonb_ops|none] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import random
import time
from datetime import datetime, timedelta, timezone

from bench.database import throwaway_database

TENANT = 1_000_001
STATUSES = ["Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled"]
WORDS = "boiler leak valve thermostat filter duct pump replace inspect annual service noisy".split()
BASE = datetime(2025, 1, 1, tzinfo=timezone.utc)
GIN = "st_jobs_full_data_gin"


def job_record(job_id: int, version: int) -> dict:
    rng = random.Random(job_id)
    created = BASE + timedelta(minutes=job_id)
    modified = created + timedelta(days=version, microseconds=rng.randrange(10**6))
    return {
        "id": job_id,
        "jobNumber": f"J-{job_id}",
        "projectId": rng.choice([None, rng.randrange(1, 10**6)]),
        "customerId": rng.randrange(1, 10**7),
        "locationId": rng.randrange(1, 10**7),
        "jobStatus": rng.choice(STATUSES),
        "completedOn": None if version == 0 else modified.isoformat().replace("+00:00", "Z"),
        "businessUnitId": rng.randrange(1, 40),
        "jobTypeId": rng.randrange(1, 200),
        "priority": rng.choice(["Low", "Normal", "High", "Urgent"]),
        "campaignId": rng.randrange(1, 500),
        "appointmentCount": rng.randrange(1, 4),
        "firstAppointmentId": job_id * 10,
        "lastAppointmentId": job_id * 10 + 2,
        "recallForId": None,
        "warrantyId": None,
        "jobGeneratedLeadSource": {"jobId": None, "employeeId": rng.randrange(1, 300)},
        "noCharge": False,
        "notificationsEnabled": True,
        "createdOn": created.isoformat().replace("+00:00", "Z"),
        "createdById": rng.randrange(1, 300),
        # 7 fractional digits, as ServiceTitan sends them
        "modifiedOn": modified.strftime("%Y-%m-%dT%H:%M:%S.%f") + "3Z",
        "tagTypeIds": rng.sample(range(1, 60), 3),
        "leadCallId": None,
        "bookingId": rng.randrange(1, 10**6),
        "soldById": rng.randrange(1, 300),
        "customerPo": f"PO-{rng.randrange(10**6)}",
        "invoiceId": rng.randrange(1, 10**7),
        "membershipId": None,
        "total": round(rng.uniform(50, 5000), 2),
        "estimateIds": [rng.randrange(1, 10**7) for _ in range(2)],
        "summary": "<p>" + " ".join(rng.choice(WORDS) for _ in range(25)) + f" v{version}</p>",
        "customFields": [
            {"typeId": t, "name": f"Field {t}", "value": rng.choice(WORDS)} for t in range(1, 5)
        ],
        "externalData": [{"key": "crm", "value": f"ext-{job_id}"}],
    }


def pages(rows: int, page: int, version: int):
    for start in range(1, rows + 1, page):
        yield [job_record(i, version) for i in range(start, min(start + page, rows + 1))]


_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _ts(value):
    return None if value is None else datetime.fromisoformat(value)


def plain_row(r: dict) -> tuple:
    """The row a hand-written loader builds: no checks at all."""
    from decimal import Decimal

    return (
        TENANT, r["id"], r["jobNumber"], r["jobStatus"], r["priority"], r["customerId"],
        r["locationId"], r["projectId"], r["businessUnitId"], r["jobTypeId"], r["campaignId"],
        r["appointmentCount"], r["firstAppointmentId"], r["lastAppointmentId"],
        _ts(r["completedOn"]), Decimal(str(r["total"])), r.get("active"),
        _ts(r["createdOn"]), _ts(r["modifiedOn"]), _encode(r),
    )


async def plain_load(conn, page_records, columns) -> None:
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    async with conn.transaction():
        await conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS plain_stage ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM raw.st_jobs WITH NO DATA"
        )
        await conn.copy_records_to_table(
            "plain_stage", records=[plain_row(r) for r in page_records], columns=columns
        )
        await conn.execute(
            f"INSERT INTO raw.st_jobs ({names}, synced_at) SELECT {names}, now() FROM plain_stage "
            f"ON CONFLICT (tenant_id, id) DO UPDATE SET {updates}, synced_at = excluded.synced_at"
        )


PHASES = (("insert", 0), ("update", 1), ("unchanged", 1))
# A row version's xmin changes when it is written, its xmax when it is locked.
VERSIONS_BEFORE = (
    "DROP TABLE IF EXISTS versions_before; "
    "CREATE TEMP TABLE versions_before AS "
    "SELECT id, xmin::text AS written, xmax::text AS locked FROM raw.st_jobs"
)
ROWS_TOUCHED = """
SELECT count(*) FROM raw.st_jobs j JOIN versions_before b USING (id)
WHERE (j.xmin::text, j.xmax::text) IS DISTINCT FROM (b.written, b.locked)
"""


async def timed(load, rows: int, page: int, version: int) -> float:
    elapsed = 0.0
    for page_records in pages(rows, page, version):
        started = time.perf_counter()
        await load(page_records)
        elapsed += time.perf_counter() - started
    return elapsed


async def set_gin(conn, opclass: str) -> None:
    await conn.execute(f"DROP INDEX IF EXISTS raw.{GIN}")
    if opclass != "none":
        await conn.execute(f"CREATE INDEX {GIN} ON raw.st_jobs USING gin (full_data {opclass})")


async def bench(args) -> None:
    import piccolo_conf
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from servicetitan.cache.raw_tables import StJob
    from servicetitan.cache.records import layout_for

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    conn = await piccolo_conf.DB.get_new_connection()
    await set_gin(conn, args.gin)
    # This database is the benchmark's: no autovacuum run writes WAL into
    # the unchanged re-sync's figure.
    await conn.execute("ALTER TABLE raw.st_jobs SET (autovacuum_enabled = off)")
    # A hand-written loader writes the record and its fields, not the digest.
    columns = [c for c in layout_for(StJob).columns if c != "full_data_digest"]
    assert len(plain_row(job_record(1, 0))) == len(columns)

    async def api_load(page_records):
        outcome = await StJob.upsert(TENANT, page_records, connection=conn)
        assert not outcome.rejected, outcome.rejected[:3]

    paths = {"plain": lambda recs: plain_load(conn, recs, columns), "api": api_load}
    totals = {name: {phase: 0.0 for phase, _ in PHASES} for name in paths}
    for round_ in range(args.rounds):
        # Alternate which path goes first, so that neither always meets the
        # server right after the other's writes (checkpoints, WAL recycling).
        order = list(paths.items())
        for name, load in order[::-1] if round_ % 2 else order:
            await conn.execute("TRUNCATE raw.st_jobs")
            await conn.execute("CHECKPOINT")
            for phase, version in PHASES:
                if phase == "unchanged":
                    # Read every row once first: on a server with data checksums
                    # the first read of a page since it was written sets hint
                    # bits and WAL-logs the page, whoever reads it; the WAL
                    # figure is then the re-sync's own writes.
                    await conn.execute(VERSIONS_BEFORE)
                    await conn.execute("CHECKPOINT")
                wal_before = await conn.fetchval("SELECT pg_current_wal_lsn()")
                seconds = await timed(load, args.rows, args.page, version)
                totals[name][phase] += seconds
                wrote = ""
                if phase == "unchanged":
                    touched = await conn.fetchval(ROWS_TOUCHED)
                    wal = await conn.fetchval(
                        "SELECT pg_size_pretty(pg_current_wal_lsn() - $1::pg_lsn)", wal_before
                    )
                    wrote = f", rows written or locked {touched:,}, WAL {wal}"
                print(f"{name:5} {phase:9}: {args.rows / seconds:9,.0f} rows/s "
                      f"({seconds:.1f} s){wrote}", flush=True)
    size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('raw.st_jobs'))")
    await conn.close()
    print(f"\n{args.rows:,} job records, pages of {args.page}, GIN {args.gin}, "
          f"{args.rounds} round(s), table + indexes {size}")
    rows = args.rows * args.rounds
    for phase, _ in PHASES:
        plain, api = totals["plain"][phase], totals["api"][phase]
        print(f"{phase}: plain {rows / plain:,.0f} rows/s, api "
              f"{rows / api:,.0f} rows/s, ratio api/plain {plain / api:.2f}")
    plain = totals["plain"]["insert"] + totals["plain"]["update"]
    api = totals["api"]["insert"] + totals["api"]["update"]
    print(f"insert + update ratio api/plain {plain / api:.2f} (target >= 0.80)")
    api = totals["api"]
    print(f"api unchanged re-sync / api insert {api['insert'] / api['unchanged']:.2f} "
          "(target >= 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=5_000)
    parser.add_argument("--gin", choices=["jsonb_path_ops", "jsonb_ops", "none"],
                        default="jsonb_path_ops")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    with throwaway_database("bench_platform"):
        asyncio.run(bench(args))

if __name__ == "__main__":
    main()
