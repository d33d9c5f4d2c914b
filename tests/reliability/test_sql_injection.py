"""SQL injection attempts through every function argument and API parameter
that reaches SQL: each either fails cleanly with a documented exception,
matches nothing, or is stored verbatim as data. Afterwards a canary row is
untouched and the catalog (tables, columns, constraints, functions, ...) is
exactly as before."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from datetime import date, datetime, timedelta, timezone

import asyncpg
import pytest

from business.message_rows import InvalidMessage
from business.partitions import PartitionMaintenanceRefused
from business.phones import InvalidPhone, normalize_phone
from business.tables import Company, DialogContext, Message
from platform_db.database.catalog import diff, snapshot
from platform_db.values.choices import InvalidChoice
from reporting.tables import AuditLog, CtRawSnapshot, InvalidEmail, ReportWeek, Tenant, User
from servicetitan.commands.load import load
from servicetitan.cache.raw_tables import StJob
from servicetitan.cache.sync_state import SyncState
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog
from tests.servicetitan.records import job, new_tenant

PHONE = "79001234567"

PAYLOADS = [
    "'; DROP TABLE injection_canary; --",
    "x' OR '1'='1",
    "'); DELETE FROM injection_canary; --",
    '"; DROP TABLE injection_canary; --',
    "$$; DROP TABLE injection_canary; $$",
    "1; UPDATE injection_canary SET note = 'owned'",
    "\\'; TRUNCATE injection_canary; --",
    f"{PHONE}' OR ''='",
    "2025-01-01'); DROP TABLE injection_canary; --",
    "{}; DROP TABLE injection_canary",  # Piccolo's placeholder
    "%I %L %s; DROP TABLE injection_canary",  # format()'s
    "st_jobs; DROP TABLE injection_canary",
]


class Context:
    def __init__(self, company, credential, reporting_tenant):
        self.company, self.credential, self.reporting_tenant = company, credential, reporting_tenant


# --- business -------------------------------------------------------------


async def phone_normalized(ctx, conn, payload):
    with pytest.raises(InvalidPhone):
        normalize_phone(payload, "messages")


async def phone_through_message_recent(ctx, conn, payload):
    with pytest.raises(InvalidPhone):
        await Message.recent(payload, ctx.company)


async def phone_through_get_recent_messages(ctx, conn, payload):
    assert await conn.fetch("SELECT * FROM get_recent_messages($1, $2, 50)", payload, ctx.company) == []


async def company_id_through_message_recent(ctx, conn, payload):
    with pytest.raises(asyncpg.DataError):
        await Message.recent(PHONE, payload)


async def company_id_through_orm(ctx, conn, payload):
    with pytest.raises(asyncpg.DataError):
        await Company.objects().where(Company.id == payload)


async def company_id_through_insert_bulk(ctx, conn, payload):
    with pytest.raises(InvalidMessage):
        await Message.insert_bulk([{"company_id": payload, "phone": PHONE, "direction": "incoming"}])


async def message_text_and_metadata_keys(ctx, conn, payload):
    message = {"company_id": ctx.company, "phone": PHONE, "direction": "incoming",
               "content": payload, "whatsapp_message_id": payload, "metadata": {payload: payload}}  # fmt: skip
    assert await Message.insert_bulk([message]) == 1
    rows = await Message.select(Message.metadata).where(
        Message.company == ctx.company, Message.content == payload, Message.metadata.arrow(payload) == json.dumps(payload)
    ).output(load_json=True)  # fmt: skip
    assert rows == [{"metadata": {payload: payload}}]


async def partition_month(ctx, conn, payload):
    with pytest.raises(asyncpg.DataError):
        await Message.create_partition(payload)
    with pytest.raises(asyncpg.DataError):
        await conn.fetch("SELECT * FROM create_messages_partition($1::text::date)", payload)


async def partition_maintenance_parameters(ctx, conn, payload):
    with pytest.raises(PartitionMaintenanceRefused, match="must be a whole number"):
        await Message.maintain_partitions(payload, payload)
    with pytest.raises(asyncpg.DataError):
        await conn.fetch("SELECT * FROM messages_partition_plan($1::text::int, 6)", payload)
    with pytest.raises(asyncpg.UndefinedTableError, match="not a range partition"):
        await conn.fetch("SELECT * FROM drop_messages_partition($1, 6)", payload)


async def company_settings_keys(ctx, conn, payload):
    company = await Company.create(name=payload, settings={payload: payload})
    found = await Company.select(Company.id).where(Company.settings.arrow(payload) == json.dumps(payload))
    assert found == [{"id": company.id}]
    contained = await conn.fetch(
        "SELECT id FROM companies WHERE settings @> $1::jsonb", json.dumps({payload: payload})
    )
    assert [r["id"] for r in contained] == [company.id]
    await Company.delete().where(Company.id == company.id)


async def dialog_context_keys(ctx, conn, payload):
    dialog = DialogContext(company=ctx.company, phone=PHONE, context={payload: {payload: payload}},
                           expires_at=datetime.now(timezone.utc) + timedelta(days=1))  # fmt: skip
    await dialog.save()
    found = await DialogContext.count().where(
        DialogContext.context.arrow(payload).arrow(payload) == json.dumps(payload)
    )
    assert found == 1
    await DialogContext.delete().where(DialogContext.id == dialog.id)


# --- servicetitan ---------------------------------------------------------


async def cache_records_and_full_data_queries(ctx, conn, payload):
    tenant = new_tenant()
    result = await StJob.upsert(tenant, [job(1, jobStatus=payload, **{payload: payload})])
    assert result.inserted == 1
    assert await StJob.for_tenant(tenant, StJob.id).where(StJob.job_status == payload) == [{"id": 1}]
    contained = await conn.fetch(
        "SELECT id FROM raw.st_jobs WHERE tenant_id = $1 AND full_data @> $2::jsonb",
        tenant,
        json.dumps({payload: payload}),
    )
    assert [r["id"] for r in contained] == [1]


async def sync_state_table_name(ctx, conn, payload):
    tenant = new_tenant()
    with pytest.raises(InvalidChoice):
        await SyncState.record_success(tenant, payload, True, datetime.now(timezone.utc), 1)
    await SyncState.record_failure(tenant, "st_jobs", payload)
    assert await SyncState.select(SyncState.last_error).where(SyncState.tenant_id == tenant) == [
        {"last_error": payload}
    ]


async def sync_log_values(ctx, conn, payload):
    with pytest.raises(InvalidChoice):
        await ServiceTitanSyncLog.start(ctx.credential.id, payload, "jobs")
    with pytest.raises(InvalidChoice):
        await ServiceTitanSyncLog.start(ctx.credential.id, "manual", payload)
    log = await ServiceTitanSyncLog.start(ctx.credential.id, "manual", "jobs")
    await log.fail(payload, {payload: payload})
    stored = await ServiceTitanSyncLog.select(
        ServiceTitanSyncLog.error_message, ServiceTitanSyncLog.error_details
    ).where(ServiceTitanSyncLog.id == log.id).output(load_json=True)
    assert stored == [{"error_message": payload, "error_details": {payload: payload}}]


async def credential_values(ctx, conn, payload):
    company = await Company.create(name="Credential salon")
    credential = await ServiceTitanCredential.register(company.id, "integration", payload, payload)
    assert (await credential.secrets()).client_secret == payload
    assert await ServiceTitanCredential.count().where(ServiceTitanCredential.client_id == payload) == 1
    with pytest.raises(InvalidChoice):
        await ServiceTitanCredential.register(company.id, payload, "cid", "secret")
    await Company.delete().where(Company.id == company.id)


async def load_command_entity_and_tenant(ctx, conn, payload):
    for arguments, refusal in (
        ({"entity": payload, "tenant_id": "1", "path": "page.json"}, "entity must be one of"),
        ({"entity": "jobs", "tenant_id": payload, "path": "page.json"}, "tenant_id must be a whole number"),
    ):
        stderr = io.StringIO()
        # refused by the command wrapper, before the command runs
        with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit):
            load(**arguments)
        assert refusal in stderr.getvalue()


# --- reporting ------------------------------------------------------------


async def snapshot_endpoint_and_params(ctx, conn, payload):
    snapshot_row = CtRawSnapshot(tenant=ctx.reporting_tenant, endpoint=payload,
                                 request_params={payload: payload}, payload={"data": [payload]})  # fmt: skip
    await snapshot_row.save()
    def count(condition):
        return CtRawSnapshot.count().where(CtRawSnapshot.tenant == ctx.reporting_tenant, condition)

    assert await count(CtRawSnapshot.endpoint == payload) == 1
    assert await count(CtRawSnapshot.endpoint == payload + " ") == 0
    assert await count(CtRawSnapshot.request_params.arrow(payload) == json.dumps(payload)) == 1


async def user_email(ctx, conn, payload):
    assert await User.by_email(payload) is None
    with pytest.raises(InvalidEmail):
        await User.register(payload)


async def audit_log_values(ctx, conn, payload):
    entry = await AuditLog.record(payload, payload, diff={payload: [payload]})
    stored = await AuditLog.select(AuditLog.action, AuditLog.diff).where(AuditLog.id == entry.id).output(
        load_json=True
    )
    assert stored == [{"action": payload, "diff": {payload: [payload]}}]


async def report_week_tenant(ctx, conn, payload):
    with pytest.raises(asyncpg.DataError):
        await ReportWeek.open(payload, date(2026, 1, 4))


ATTEMPTS = [
    phone_normalized,
    phone_through_message_recent,
    phone_through_get_recent_messages,
    company_id_through_message_recent,
    company_id_through_orm,
    company_id_through_insert_bulk,
    message_text_and_metadata_keys,
    partition_month,
    partition_maintenance_parameters,
    company_settings_keys,
    dialog_context_keys,
    cache_records_and_full_data_queries,
    sync_state_table_name,
    sync_log_values,
    credential_values,
    load_command_entity_and_tenant,
    snapshot_endpoint_and_params,
    user_email,
    audit_log_values,
    report_week_tenant,
]


@pytest.fixture
async def canary(conn):
    """A table every payload aims at, with one row."""
    await conn.execute("CREATE TABLE public.injection_canary (note text NOT NULL)")
    await conn.execute("INSERT INTO public.injection_canary VALUES ('intact')")
    yield
    await conn.execute("DROP TABLE IF EXISTS public.injection_canary")


@pytest.fixture
async def context(company, credential):
    tenant = Tenant(name="Injection tenant", slug=f"injection-{uuid.uuid4().hex[:8]}")
    await tenant.save()
    # a message the hostile phone numbers must not match
    await Message.insert_bulk([{"company_id": company.id, "phone": PHONE, "direction": "incoming"}])
    yield Context(company.id, credential, tenant.id)
    await Tenant.delete().where(Tenant.id == tenant.id)


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.__name__)
async def test_injection_does_nothing_but_fail_or_match_nothing(conn, canary, context, attempt):
    before = await snapshot(conn)
    for payload in PAYLOADS:
        await attempt(context, conn, payload)
    assert diff(before, await snapshot(conn)) == []
    assert [r["note"] for r in await conn.fetch("SELECT note FROM public.injection_canary")] == ["intact"]
