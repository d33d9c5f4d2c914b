"""Every bad value is refused by PostgreSQL itself (raw SQL, around the
Python layer), and through the project's API (``Table.create``) raises
``DataRejected`` naming table, column and value. Nothing is written."""

import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import asyncpg
import pytest

from business.tables import Company
from platform_db.rejections import DataRejected
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

UNKNOWN = "00000000-0000-0000-0000-00000000dead"


@dataclass
class Case:
    table: Any
    valid: Callable[[dict], dict]
    column: str
    bad: Any
    refusal: type

    def __str__(self):
        return f"{self.table._meta.tablename}.{self.column}={self.bad!r}"


def company_row(parents):
    return {"name": "Studio", "phone": "79001234567", "settings": {"lang": "ru"}}


def credential_row(parents):
    return {
        "company": parents["company"],
        "environment": "production",
        "client_id": "cid",
        "client_secret": "gAAAAA-ciphertext",
    }


def sync_log_row(parents):
    return {
        "servicetitan_credential": parents["credential"],
        "sync_type": "manual",
        "data_type": "customers",
        "status": "running",
    }


CASES = [
    Case(Company, company_row, "name", None, asyncpg.NotNullViolationError),
    Case(Company, company_row, "name", "   ", asyncpg.CheckViolationError),
    Case(Company, company_row, "phone", "+7 (900) 123", asyncpg.CheckViolationError),
    Case(Company, company_row, "settings", "{not json", asyncpg.InvalidTextRepresentationError),
    Case(Company, company_row, "is_active", "maybe", asyncpg.InvalidTextRepresentationError),
    Case(ServiceTitanCredential, credential_row, "environment", "staging", asyncpg.CheckViolationError),
    Case(ServiceTitanCredential, credential_row, "environment", None, asyncpg.NotNullViolationError),
    Case(ServiceTitanCredential, credential_row, "company", UNKNOWN, asyncpg.ForeignKeyViolationError),
    Case(ServiceTitanCredential, credential_row, "client_id", None, asyncpg.NotNullViolationError),
    Case(ServiceTitanCredential, credential_row, "connection_status", "up", asyncpg.CheckViolationError),
    Case(ServiceTitanCredential, credential_row, "environment", "x" * 21, asyncpg.StringDataRightTruncationError),
    Case(ServiceTitanSyncLog, sync_log_row, "sync_type", "hourly", asyncpg.CheckViolationError),
    Case(ServiceTitanSyncLog, sync_log_row, "data_type", "jobs ", asyncpg.CheckViolationError),
    Case(ServiceTitanSyncLog, sync_log_row, "status", "paused", asyncpg.CheckViolationError),
    Case(ServiceTitanSyncLog, sync_log_row, "servicetitan_credential", UNKNOWN, asyncpg.ForeignKeyViolationError),
    Case(ServiceTitanSyncLog, sync_log_row, "records_processed", -3, asyncpg.CheckViolationError),
    Case(ServiceTitanSyncLog, sync_log_row, "error_details", '{"oops":', asyncpg.InvalidTextRepresentationError),
    Case(ServiceTitanSyncLog, sync_log_row, "started_at", "yesterday-ish", asyncpg.InvalidDatetimeFormatError),
]


def literal(value) -> str:
    """A SQL literal, so that PostgreSQL, not asyncpg, parses the value."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        value = json.dumps(value)
    return "'" + str(value).replace("'", "''") + "'"


def db_row(table, row: dict) -> dict:
    return {getattr(table, name)._meta.db_column_name: value for name, value in row.items()}


@pytest.fixture
async def parents(company, credential):
    return {"company": str(company.id), "credential": str(credential.id)}


async def count(conn, table) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table._meta.tablename}")


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_postgresql_refuses_the_value_itself(conn, parents, case):
    row = db_row(case.table, {**case.valid(parents), case.column: case.bad})
    before = await count(conn, case.table)
    with pytest.raises(case.refusal):
        await conn.execute(
            f"INSERT INTO {case.table._meta.tablename} ({', '.join(row)}) "
            f"VALUES ({', '.join(literal(v) for v in row.values())})"
        )
    assert await count(conn, case.table) == before


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_the_api_names_table_column_and_value(conn, parents, case):
    before = await count(conn, case.table)
    with pytest.raises(DataRejected) as refused:
        await case.table.create(**{**case.valid(parents), case.column: case.bad})
    column = getattr(case.table, case.column)._meta.db_column_name
    assert refused.value.table == case.table._meta.tablename
    assert refused.value.column == column
    message = str(refused.value)
    assert case.table._meta.tablename in message and column in message
    assert repr(case.bad)[:30].strip("'") in message
    assert await count(conn, case.table) == before


async def test_the_valid_rows_are_accepted(conn, parents):
    for make, table in ((company_row, Company), (credential_row, ServiceTitanCredential),
                        (sync_log_row, ServiceTitanSyncLog)):
        row = await table.create(**make(parents))
        assert await conn.fetchval(
            f"SELECT count(*) FROM {table._meta.tablename} WHERE id = $1", row.id
        ) == 1
        await table.delete().where(table.id == row.id)


async def test_a_duplicate_names_the_columns_and_values(parents):
    await ServiceTitanCredential.create(**credential_row(parents))
    with pytest.raises(DataRejected, match=r"servicetitan_credentials\.company_id, environment"):
        await ServiceTitanCredential.create(**credential_row(parents))


async def test_an_unknown_column_is_refused_before_the_database(parents):
    with pytest.raises(DataRejected, match=r"companies\.colour = 'red' rejected: no such column"):
        await Company.create(name="x", colour="red")
