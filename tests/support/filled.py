"""A database with data in every app, for walking the migrations with rows
in place: the seed's sample salon, ServiceTitan caches and sync logs of two
tenants, reporting rows, an admin user and session. Rows are read back as
JSON per table, so that two states compare on the columns they share."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

TENANTS = (9_200_001, 9_200_002)

# Every user table but Piccolo's own bookkeeping; a partitioned table as a
# whole (its partitions are where its rows are, recorded per row); with its
# columns' names and types.
RELATIONS = """
    SELECT c.oid, n.nspname || '.' || c.relname AS name, c.relkind = 'p' AS partitioned,
           (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)),
                              ', ' ORDER BY a.attnum)
            FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%' AND (n.nspname, c.relname) <> ('public', 'migration')
"""


async def fill() -> None:
    """Through each app's own API, on the database Piccolo points at."""
    from piccolo.apps.user.tables import BaseUser

    from admin.tables import AdminSession
    from business import sample_data
    from business.tables import Company
    from reporting.tables import AuditLog, ReportWeek, Tenant, User
    from servicetitan.cache.raw_tables import StJob, StLocation
    from servicetitan.sync.run import run_sync
    from servicetitan.tables import ServiceTitanCredential
    from tests.servicetitan import records

    await sample_data.load(sample_data.build(4, sample_data.SampleSize(), date.today()))
    for number, tenant_id in enumerate(TENANTS, 1):
        company = Company(name=f"ServiceTitan customer {number}")
        await company.save()
        credential = await ServiceTitanCredential.register(
            company_id=company.id,
            environment="production",
            client_id=f"client-{number}",
            client_secret=f"secret-{number}",
        )
        await credential.change(tenant_id=tenant_id)
        jobs = [records.job(1000 * number + i) for i in range(60)]
        locations = [records.location(1000 * number + i) for i in range(25)]
        await run_sync(credential, StJob, [jobs[:30], jobs[30:]], full=True)
        await run_sync(credential, StLocation, [locations], full=False)
    tenant = Tenant(name="Acme Plumbing", slug="acme-plumbing")
    await tenant.save()
    user = await User.register("Pat@Example.com", name="Pat")
    for weeks in range(3):
        week = await ReportWeek.open(tenant.id, date(2026, 11, 22) - timedelta(weeks=weeks))
        await AuditLog.record(
            "report_week.opened",
            "report_week",
            week.id,
            tenant_id=tenant.id,
            actor_user_id=user.id,
            diff={"status": [None, "draft"]},
        )
    admin = await BaseUser.create_user(
        username="operator", password="a-long-passphrase-42", admin=True
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    await AdminSession.insert(
        AdminSession(
            token="session-token",
            user_id=admin.id,
            expiry_date=now + timedelta(hours=1),
            max_expiry_date=now + timedelta(days=7),
        )
    )


async def rows(conn, seen: dict | None = None) -> dict[tuple[int, str], list[str]]:
    """Every row of every user table as a JSON object's text, keyed by the
    table's OID and name (a table dropped and made again is another table);
    a partitioned table's rows carry the partition they are in. The text is
    jsonb's (keys in one order, one spelling per value), so that two states
    of a table compare as text, and are parsed (``parsed``) only when they
    differ: a walk reads every table three times per migration.

    With ``seen`` (a dict kept between reads), a table whose columns (names
    and types) and rows' own text (a SHA-256 of it, in the same order) are
    those of a table read before is not converted to JSON again (the most
    of a read's cost, on the server): its JSON text is that read's. Equal
    names, types and values' text make equal JSON text; anything else reads
    the table anew."""
    found = {}
    for relation in await conn.fetch(RELATIONS):
        partition = " || t.tableoid::regclass::text" if relation["partitioned"] else ""
        key = (relation["oid"], relation["name"])
        if seen is None:
            found[key] = await _json_rows(conn, relation)
            continue
        same = (
            *key,
            relation["columns"],
            await conn.fetchval(
                "SELECT encode(sha256(convert_to("
                f"coalesce(string_agg(t::text{partition}, E'\\n'), ''), 'UTF8')), 'hex')"
                f" FROM {relation['name']} AS t"
            ),
        )
        if same not in seen:
            seen[same] = await _json_rows(conn, relation)
        found[key] = seen[same]
    return found


async def _json_rows(conn, relation) -> list[str]:
    where = ", '__partition', t.tableoid::regclass::text" if relation["partitioned"] else ""
    # One text per table (a JSON text holds no raw newline), not a record per row.
    text = await conn.fetchval(
        f"SELECT string_agg((to_jsonb(t) || jsonb_build_object('__table', 1{where}))::text,"
        f" E'\\n') FROM {relation['name']} AS t"
    )
    return text.split("\n") if text else []


def parsed(table_rows: list[str]) -> list[dict]:
    return [json.loads(row) for row in table_rows]


def digest(table_rows: list[dict], columns: set[str]) -> tuple[int, str]:
    """Row count and a checksum of the rows' values in ``columns``."""
    lines = sorted(json.dumps({c: r.get(c) for c in sorted(columns)}) for r in table_rows)
    return len(lines), hashlib.md5("\n".join(lines).encode()).hexdigest()
