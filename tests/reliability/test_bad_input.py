"""Every bad value is refused by PostgreSQL itself (raw SQL, around the
Python layer), and through the project's API (``Table.create`` and
``row.change``) raises ``DataRejected`` naming table, column and value.
Nothing is written.

The cases cover every table of the project's apps that has an enum, foreign
key, CHECK or NOT NULL column, at least one case per kind: the list of such
tables is read from the app registry and the database's catalog, so a new
table (or a new constraint kind on a table) without cases fails
``test_every_constrained_table_has_a_case_of_each_kind``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

import asyncpg
import pytest
from piccolo.conf.apps import Finder

from business import tables as b
from platform_db.values.guarded import Guarded
from platform_db.values.rejections import SECRET_SHOWN, DataRejected
from reporting import tables as r
from servicetitan.cache import raw_tables as raw
from servicetitan.cache.sync_state import SyncState
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

UNKNOWN = "00000000-0000-0000-0000-00000000dead"
LATER = datetime(2030, 1, 1, tzinfo=timezone.utc)
# Piccolo's own tables (login users, admin sessions), written by Piccolo's code.
PICCOLO_APPS = {"user", "admin"}
# Append-only (a trigger refuses UPDATE and DELETE): valid rows stay.
APPEND_ONLY = {r.AuditLog}
# Rows never deleted on their own (a finished or running sync log is history:
# it goes only with its credential, when the parents' company is deleted).
KEPT = APPEND_ONLY | {ServiceTitanSyncLog}

# What PostgreSQL raises for each kind of constraint; type cases say theirs.
REFUSALS = {
    "enum": asyncpg.CheckViolationError,
    "check": asyncpg.CheckViolationError,
    "fk": asyncpg.ForeignKeyViolationError,
    "not_null": asyncpg.NotNullViolationError,
}


@dataclass
class Case:
    table: Any
    valid: Callable[[dict], dict]
    kind: str  # enum, check, fk, not_null or type
    column: str
    bad: Any
    type_refusal: type | None = None

    @property
    def refusal(self) -> type:
        return self.type_refusal or REFUSALS[self.kind]

    def __str__(self):
        return f"{name(self.table)}.{self.column}:{self.kind}={self.bad!r}"[:90]


def name(table) -> str:
    return table._meta.get_formatted_tablename(quoted=False)


def unique() -> str:
    return uuid.uuid4().hex[:10]


def phone() -> str:
    return "7" + str(uuid.uuid4().int)[:10]


def cases(table, valid, *specs) -> list[Case]:
    """``specs``: (kind, column, bad value) or, for type cases, with the
    refusal PostgreSQL raises."""
    return [Case(table, valid, *spec) for spec in specs]


# --- business -------------------------------------------------------------

CASES = cases(
    b.Company,
    lambda p: {"name": "Studio", "phone": "79001234567", "settings": {"lang": "ru"}},
    ("not_null", "name", None),
    ("check", "name", "   "),
    ("check", "phone", "+7 (900) 123"),
    ("type", "settings", "{not json", asyncpg.InvalidTextRepresentationError),
    ("type", "is_active", "maybe", asyncpg.InvalidTextRepresentationError),
) + cases(
    b.Client,
    lambda p: {"company": p["company"], "phone": phone(), "name": "Anna"},
    ("fk", "company", UNKNOWN),
    ("not_null", "phone", None),
    ("check", "phone", "12-34"),
    ("check", "visit_count", -1),
    ("type", "birth_date", "not-a-date", asyncpg.InvalidDatetimeFormatError),
    ("type", "total_spent", 10**12, asyncpg.NumericValueOutOfRangeError),
    ("type", "notes", "a\x00b", asyncpg.CharacterNotInRepertoireError),
) + cases(
    b.Service,
    lambda p: {"company": p["company"], "title": "Haircut", "price_max": Decimal("20")},
    ("fk", "company", UNKNOWN),
    ("not_null", "title", None),
    ("check", "title", " "),
    ("check", "duration_minutes", 0),
    ("check", "price_min", Decimal("30")),  # above price_max
    ("type", "price_max", "cheap", asyncpg.InvalidTextRepresentationError),
) + cases(
    b.Staff,
    lambda p: {"company": p["company"], "name": "Olga"},
    ("fk", "company", UNKNOWN),
    ("not_null", "name", None),
    ("check", "rating", 7),
    ("check", "phone", "abc"),
    ("type", "rating", Decimal("12.5"), asyncpg.NumericValueOutOfRangeError),
) + cases(
    b.StaffSchedule,
    lambda p: {"company": p["company"], "staff": p["staff"],
               "date": date(2030, 1, 1) + timedelta(days=uuid.uuid4().int % 3000),
               "start_time": time(9), "end_time": time(18)},
    ("fk", "staff", UNKNOWN),
    ("fk", "company", UNKNOWN),
    ("not_null", "date", None),
    ("check", "start_time", time(19)),
    ("type", "date", "someday", asyncpg.InvalidDatetimeFormatError),
) + cases(
    b.Booking,
    lambda p: {"company": p["company"], "client": p["client"], "appointment_at": LATER},
    ("enum", "status", "lost"),
    ("enum", "source", "phone"),
    ("fk", "client", UNKNOWN),
    ("fk", "service", UNKNOWN),
    ("not_null", "appointment_at", None),
    ("check", "duration_minutes", -30),
    ("check", "price", Decimal("-1")),
    ("type", "appointment_at", "soon", asyncpg.InvalidDatetimeFormatError),
) + cases(
    b.AppointmentCache,
    lambda p: {"company": p["company"], "yclients_record_id": unique(), "expires_at": LATER},
    ("fk", "company", UNKNOWN),
    ("not_null", "expires_at", None),
    ("not_null", "yclients_record_id", None),
    ("check", "phone", "x1"),
) + cases(
    b.DialogContext,
    lambda p: {"company": p["company"], "phone": phone(), "expires_at": LATER},
    ("enum", "state", "dancing"),
    ("fk", "client", UNKNOWN),
    ("not_null", "phone", None),
    ("check", "message_count", -1),
    ("check", "phone", "12"),
    ("type", "context", "{not json", asyncpg.InvalidTextRepresentationError),
) + cases(
    b.Reminder,
    lambda p: {"company": p["company"], "booking": p["booking"],
               "reminder_type": "day_before", "scheduled_for": LATER},
    ("enum", "reminder_type", "weekly"),
    ("enum", "status", "lost"),
    ("fk", "booking", UNKNOWN),
    ("not_null", "scheduled_for", None),
    ("check", "status", "sent"),  # sent without sent_at
) + cases(
    b.SyncStatus,
    lambda p: {"company": p["company"], "entity_type": "clients"},
    ("enum", "entity_type", "cars"),
    ("enum", "status", "dead"),
    ("fk", "company", UNKNOWN),
    ("not_null", "entity_type", None),
    ("check", "records_synced", -1),
) + cases(
    b.Message,
    lambda p: {"company": p["company"], "phone": phone(), "direction": "incoming"},
    ("enum", "direction", "sideways"),
    ("enum", "message_type", "fax"),
    ("enum", "status", "lost"),
    ("fk", "company", UNKNOWN),
    ("not_null", "phone", None),
    ("check", "phone", "+7"),
    ("type", "metadata", "{not json", asyncpg.InvalidTextRepresentationError),
) + cases(
    b.WhatsAppAuthKey,
    lambda p: {"company": p["company"], "key_type": "session", "key_id": unique(),
               "value": {"k": 1}},
    ("enum", "key_type", "password"),
    ("fk", "company", UNKNOWN),
    ("not_null", "key_id", None),
    ("not_null", "value", None),
)

# --- servicetitan ---------------------------------------------------------

CASES += cases(
    ServiceTitanCredential,
    lambda p: {"company": p["company"], "environment": "production", "client_id": "cid",
               "client_secret": "gAAAAA-ciphertext"},
    ("enum", "environment", "staging"),
    ("enum", "connection_status", "up"),
    ("not_null", "environment", None),
    ("not_null", "client_id", None),
    ("fk", "company", UNKNOWN),
    ("check", "tenant_id", 0),
    ("type", "environment", "x" * 21, asyncpg.StringDataRightTruncationError),
) + cases(
    ServiceTitanSyncLog,
    lambda p: {"servicetitan_credential": p["credential"], "sync_type": "manual",
               "data_type": "customers", "status": "running"},
    ("enum", "sync_type", "hourly"),
    ("enum", "data_type", "jobs "),
    ("enum", "status", "paused"),
    ("fk", "servicetitan_credential", UNKNOWN),
    ("not_null", "sync_type", None),
    ("check", "records_processed", -3),
    ("check", "completed_at", LATER.replace(tzinfo=None)),  # set while running
    ("type", "error_details", '{"oops":', asyncpg.InvalidTextRepresentationError),
    ("type", "started_at", "yesterday-ish", asyncpg.InvalidDatetimeFormatError),
) + cases(
    SyncState,
    lambda p: {"tenant_id": p["tenant_id"], "table_name": "st_jobs"},
    ("enum", "table_name", "st_cars"),
    ("not_null", "tenant_id", None),
    ("check", "records_synced", -1),
    ("type", "records_synced", 2**63, asyncpg.NumericValueOutOfRangeError),
)
for cache_table in raw.CACHE_TABLES.values():
    CASES += cases(
        cache_table,
        lambda p: {"tenant_id": p["tenant_id"], "id": uuid.uuid4().int % 10**12,
                   "full_data": {"id": 1}},
        ("not_null", "tenant_id", None),
        ("not_null", "id", None),
        ("not_null", "full_data", None),
        ("type", "id", "abc", asyncpg.InvalidTextRepresentationError),
    )

# --- reporting ------------------------------------------------------------

CASES += cases(
    r.Tenant,
    lambda p: {"name": "Acme HVAC", "slug": f"acme-{unique()}"},
    ("enum", "status", "gone"),
    ("not_null", "name", None),
    ("check", "name", " "),
    ("check", "slug", "Not A Slug"),
) + cases(
    r.TenantBranding,
    lambda p: {"tenant": p["tenant"], "primary_color": "#112233"},
    ("fk", "tenant", UNKNOWN),
    ("not_null", "tenant", None),
    ("check", "primary_color", "red"),
    ("type", "primary_color", "#1122334", asyncpg.StringDataRightTruncationError),
) + cases(
    r.User,
    lambda p: {"email": f"pat-{unique()}@example.com"},
    ("enum", "status", "banned"),
    ("not_null", "email", None),
    ("check", "email", "pat"),
) + cases(
    r.Membership,
    lambda p: {"user": p["user"], "tenant": p["tenant"], "role": "tenant_admin"},
    ("enum", "role", "owner"),
    ("fk", "user", UNKNOWN),
    ("fk", "tenant", UNKNOWN),
    ("not_null", "user", None),
    ("check", "role", "agency_admin"),  # an agency admin has no tenant
) + cases(
    r.Session,
    lambda p: {"user": p["user"], "token_hash": hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
               "expires_at": LATER},
    ("fk", "user", UNKNOWN),
    ("fk", "active_tenant", UNKNOWN),
    ("not_null", "expires_at", None),
    ("check", "token_hash", "not-hex"),
) + cases(
    r.ReportWeek,
    lambda p: {"tenant": p["tenant"],
               "week_ending_date": date(2030, 1, 6) + timedelta(weeks=uuid.uuid4().int % 5000)},
    ("enum", "status", "final"),
    ("fk", "tenant", UNKNOWN),
    ("not_null", "week_ending_date", None),
    ("check", "status", "published"),  # published without published_at
    ("type", "week_ending_date", "next friday", asyncpg.InvalidDatetimeFormatError),
) + cases(
    r.ReportWeekManual,
    lambda p: {"report_week": p["report_week"], "metric_key": unique(), "value": Decimal("5")},
    ("fk", "report_week", UNKNOWN),
    ("fk", "entered_by", UNKNOWN),
    ("not_null", "metric_key", None),
    ("check", "value", None),  # neither a value nor a note
    ("type", "value", Decimal("10") ** 13, asyncpg.NumericValueOutOfRangeError),
) + cases(
    r.LeadMetric,
    lambda p: {"report_week": p["report_week"], "source": unique()},
    ("fk", "report_week", UNKNOWN),
    ("not_null", "source", None),
    ("check", "leads", -1),
    ("check", "qualified_leads", 5),  # more than the leads
    ("check", "spend", Decimal("-0.01")),
    ("type", "leads", "many", asyncpg.InvalidTextRepresentationError),
) + cases(
    r.PipelineStageCount,
    lambda p: {"report_week": p["report_week"], "stage": unique()},
    ("fk", "report_week", UNKNOWN),
    ("not_null", "stage", None),
    ("check", "position", -1),
    ("type", "position", 40000, asyncpg.NumericValueOutOfRangeError),
) + cases(
    r.HotListItem,
    lambda p: {"report_week": p["report_week"], "customer_name": "J. Doe"},
    ("fk", "report_week", UNKNOWN),
    ("not_null", "customer_name", None),
    ("check", "rank", -1),
    ("check", "estimated_value", Decimal("-5")),
) + cases(
    r.ReportExport,
    lambda p: {"report_week": p["report_week"], "format": "pdf"},
    ("enum", "format", "docx"),
    ("enum", "status", "lost"),
    ("fk", "report_week", UNKNOWN),
    ("fk", "requested_by", UNKNOWN),
    ("not_null", "format", None),
    ("check", "status", "failed"),  # failed without an error message
    ("type", "file_size_bytes", "big", asyncpg.InvalidTextRepresentationError),
) + cases(
    r.SyncRun,
    lambda p: {"tenant": p["tenant"], "window_end": date(2026, 1, 31)},
    ("enum", "status", "paused"),
    ("fk", "tenant", UNKNOWN),
    ("not_null", "started_at", None),
    ("check", "records_fetched", -1),
    ("check", "window_start", date(2026, 3, 1)),  # after window_end
) + cases(
    r.CtRawSnapshot,
    lambda p: {"tenant": p["tenant"], "endpoint": "/leads", "payload": {"rows": []}},
    ("fk", "tenant", UNKNOWN),
    ("fk", "sync_run", UNKNOWN),
    ("not_null", "payload", None),
    ("check", "request_params", ["not", "an", "object"]),
) + cases(
    r.TenantFieldMapping,
    lambda p: {"tenant": p["tenant"], "target_field": unique(), "source_endpoint": "/leads",
               "source_field": "source"},
    ("fk", "tenant", UNKNOWN),
    ("not_null", "source_field", None),
    ("check", "value_map", [1, 2]),
) + cases(
    r.AuditLog,
    lambda p: {"action": f"probe.{unique()}", "entity_type": "probe"},
    ("fk", "tenant", UNKNOWN),
    ("fk", "actor", UNKNOWN),
    ("not_null", "action", None),
    ("check", "action", "  "),
    ("check", "diff", [1]),
)


def literal(value) -> str:
    """A SQL literal, so that PostgreSQL, not asyncpg, parses the value."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = str(value).replace("'", "''")
    if "\x00" in text:
        # A NUL cannot travel in the query's text: spelled as an escape, so
        # that PostgreSQL itself meets it.
        return "E'" + text.replace("\\", "\\\\").replace("\x00", "\\000") + "'"
    return "'" + text + "'"


def db_column(table, column: str) -> str:
    return getattr(table, column)._meta.db_column_name


def db_row(table, row: dict) -> dict:
    return {db_column(table, column): value for column, value in row.items()}


@pytest.fixture(scope="module")
async def parents(migrated):
    """One row of every table the cases' valid rows point to."""
    company = await b.Company.create(name=f"Bad Input Salon {unique()}")
    client = await b.Client.create(company=company.id, phone=phone())
    staff = await b.Staff.create(company=company.id, name="Olga")
    booking = await b.Booking.create(company=company.id, client=client.id, appointment_at=LATER)
    credential = await ServiceTitanCredential.create(
        company=company.id, environment="integration", client_id="cid",
        client_secret="gAAAAA-ciphertext",
    )
    tenant = await r.Tenant.create(name="Bad Input HVAC", slug=f"bad-input-{unique()}")
    user = await r.User.create(email=f"bad-input-{unique()}@example.com")
    week = await r.ReportWeek.create(tenant=tenant.id, week_ending_date=date(2026, 1, 4))
    yield {
        "company": str(company.id), "client": str(client.id), "staff": str(staff.id),
        "booking": str(booking.id), "credential": str(credential.id),
        "tenant": str(tenant.id), "user": str(user.id), "report_week": str(week.id),
        "tenant_id": uuid.uuid4().int % 10**9 + 1,
    }
    await b.Company.delete().where(b.Company.id == company.id)
    await r.Tenant.delete().where(r.Tenant.id == tenant.id)
    await r.User.delete().where(r.User.id == user.id)


async def count(conn, table) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {name(table)}")


def bad_row(case: Case, parents: dict) -> dict:
    return {**case.valid(parents), case.column: case.bad}


def assert_names_it(refused: DataRejected, case: Case) -> None:
    column = db_column(case.table, case.column)
    assert refused.table == name(case.table)
    # A CHECK over several columns this write set names them all.
    assert column in (refused.column or "").split(", "), refused
    message = str(refused)
    assert message.startswith(f"{name(case.table)}.") and column in message
    if getattr(case.table, case.column)._meta.secret and case.bad is not None:
        # A secret's value is never shown, not even a refused one.
        assert refused.value == SECRET_SHOWN and str(case.bad) not in message, message
    else:
        assert repr(case.bad)[:30].strip("'") in message, message


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_postgresql_refuses_the_value_itself(conn, parents, case):
    row = db_row(case.table, bad_row(case, parents))
    before = await count(conn, case.table)
    with pytest.raises(case.refusal):
        await conn.execute(
            f"INSERT INTO {name(case.table)} ({', '.join(row)}) "
            f"VALUES ({', '.join(literal(v) for v in row.values())})"
        )
    assert await count(conn, case.table) == before


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_create_names_table_column_and_value(conn, parents, case):
    before = await count(conn, case.table)
    with pytest.raises(DataRejected) as refused:
        await case.table.create(**bad_row(case, parents))
    assert_names_it(refused.value, case)
    assert await count(conn, case.table) == before


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.table not in APPEND_ONLY], ids=str
)
async def test_change_names_table_column_and_value_and_changes_nothing(conn, parents, case):
    row = await case.table.create(**case.valid(parents))
    primary_key = case.table._meta.primary_key
    where = primary_key == getattr(row, primary_key._meta.name)
    stored = await case.table.select().where(where).first()
    try:
        with pytest.raises(DataRejected) as refused:
            await row.change(**{case.column: case.bad})
        assert_names_it(refused.value, case)
        assert await case.table.select().where(where).first() == stored
    finally:
        if case.table not in KEPT:
            await case.table.delete().where(where)


def test_every_table_of_the_project_is_guarded():
    for app in Finder().get_app_configs():
        if app.app_name not in PICCOLO_APPS:
            for table in app.table_classes:
                assert issubclass(table, Guarded), f"{name(table)} lacks the Guarded mixin"


async def constraint_kinds(conn, table) -> set[str]:
    """What the database enforces on ``table``: an enum (a CHECK on one
    Choices column), another CHECK, a foreign key, a NOT NULL column."""
    enums = {c._meta.db_column_name for c in table._meta.columns if c._meta.choices}
    kinds = {"enum"} if enums else set()
    rows = await conn.fetch(
        """
        SELECT c.contype, array_agg(a.attname::text) AS columns
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = $1::regclass AND c.contype IN ('c', 'f')
        GROUP BY c.oid, c.contype
        """,
        name(table),
    )
    for row in rows:
        if row["contype"] == b"f":
            kinds.add("fk")
        elif not (len(row["columns"]) == 1 and row["columns"][0] in enums):
            kinds.add("check")
    not_null = await conn.fetchval(
        """
        SELECT count(*) FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND attnotnull AND NOT attisdropped
          AND attname <> $2
        """,
        name(table),
        table._meta.primary_key._meta.db_column_name,
    )
    if not_null:
        kinds.add("not_null")
    return kinds


async def test_every_constrained_table_has_a_case_of_each_kind(conn):
    covered: dict[Any, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.table, set()).add(case.kind)
    missing = {}
    for app in Finder().get_app_configs():
        if app.app_name in PICCOLO_APPS:
            continue
        for table in app.table_classes:
            lacking = await constraint_kinds(conn, table) - covered.get(table, set())
            if lacking:
                missing[name(table)] = sorted(lacking)
    assert not missing, f"tables without a bad-input case of these kinds: {missing}"


async def test_the_valid_rows_are_accepted(conn, parents):
    valid_rows = {}
    for case in CASES:
        valid_rows.setdefault(case.table, case.valid)
    for table, valid in valid_rows.items():
        row = await table.create(**valid(parents))
        primary_key = table._meta.primary_key
        where = primary_key == getattr(row, primary_key._meta.name)
        # Not table.count(): pipeline_stage_counts has a column named count.
        assert len(await table.select(primary_key).where(where)) == 1, name(table)
        if table not in KEPT:
            await table.delete().where(where)


@pytest.mark.parametrize(
    "table,make,columns",
    [
        (b.Client, lambda p: {"company": p["company"], "phone": "79990001122"},
         "company_id, phone"),
        (raw.StJob, lambda p: {"tenant_id": p["tenant_id"], "id": 42, "full_data": {}},
         "tenant_id, id"),
        (r.ReportWeek, lambda p: {"tenant": p["tenant"], "week_ending_date": date(2031, 1, 5)},
         "tenant_id, week_ending_date"),
        (ServiceTitanCredential,
         lambda p: {"company": p["company"], "environment": "production", "client_id": "c",
                    "client_secret": "gAAAAA"},
         "company_id, environment"),
    ],
)
async def test_a_duplicate_names_the_columns_and_values(conn, parents, table, make, columns):
    first = await table.create(**make(parents))
    primary_key = table._meta.primary_key
    try:
        with pytest.raises(DataRejected) as refused:
            await table.create(**make(parents))
        assert refused.value.table == name(table)
        assert refused.value.column == columns
        assert f"{name(table)}.{columns} = " in str(refused.value)
    finally:
        await table.delete().where(primary_key == getattr(first, primary_key._meta.name))


async def test_an_unknown_column_is_refused_before_the_database(parents):
    with pytest.raises(DataRejected, match=r"companies\.colour = 'red' rejected: no such column"):
        await b.Company.create(name="x", colour="red")
