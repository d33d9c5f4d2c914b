"""Seed 004's verification list, schema part: the tables, the partitions, the
indexes, the foreign keys (CASCADE and RESTRICT), the CHECKs and the
updated_at triggers, each proven by PostgreSQL."""

import asyncpg
import pytest

from tests.business.rows import insert, month_start, new_company, partition_name

BUSINESS_TABLES = {
    "companies": "r",
    "clients": "r",
    "services": "r",
    "staff": "r",
    "staff_schedules": "r",
    "bookings": "r",
    "appointments_cache": "r",
    "dialog_contexts": "r",
    "reminders": "r",
    "sync_status": "r",
    "messages": "p",
    "whatsapp_auth_keys": "r",
}
UPDATED_AT_TABLES = sorted(set(BUSINESS_TABLES) - {"messages"})


async def test_every_table_exists_and_messages_is_partitioned(conn):
    rows = await conn.fetch(
        "SELECT relname, relkind::text FROM pg_class WHERE relname = ANY($1::text[])"
        " AND relnamespace = 'public'::regnamespace",
        list(BUSINESS_TABLES),
    )
    assert {r["relname"]: r["relkind"] for r in rows} == BUSINESS_TABLES
    key = await conn.fetchval("SELECT pg_get_partkeydef('public.messages'::regclass)")
    assert key == "RANGE (created_at)"
    pk = await conn.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'messages_pkey'"
    )
    assert pk == "PRIMARY KEY (id, created_at)"


async def test_partitions_of_this_month_and_five_ahead_and_a_default(conn):
    rows = await conn.fetch(
        """
        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'public.messages'::regclass
        """
    )
    bounds = {r["relname"]: r["bound"] for r in rows}
    assert bounds.pop("messages_default") == "DEFAULT"
    expected = [partition_name(month_start(m)) for m in range(6)]
    # Past months may have partitions (the sample data makes some); from this
    # month on there are exactly the migration's six.
    assert sorted(n for n in bounds if n >= expected[0]) == expected
    first = month_start(0)
    assert bounds[expected[0]] == (
        f"FOR VALUES FROM ('{first:%Y-%m-%d} 00:00:00+00') "
        f"TO ('{month_start(1):%Y-%m-%d} 00:00:00+00')"
    )


async def test_sixty_plus_indexes_and_one_leading_with_every_foreign_key(conn):
    count = await conn.fetchval(
        """
        SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY($1::text[]) OR t.relname LIKE 'messages\\_%'
        """,
        list(BUSINESS_TABLES),
    )
    assert count >= 60
    unindexed = await conn.fetch(
        """
        SELECT con.conrelid::regclass::text AS table_name, con.conname
        FROM pg_constraint con
        WHERE con.contype = 'f' AND con.conrelid::regclass::text = ANY($1::text[])
          AND NOT EXISTS (
              SELECT 1 FROM pg_index i
              WHERE i.indrelid = con.conrelid AND i.indkey[0] = con.conkey[1]
          )
        """,
        list(BUSINESS_TABLES),
    )
    assert [dict(r) for r in unindexed] == []


EXPECTED_ON_DELETE = {
    ("clients", "company_id"): "CASCADE",
    ("services", "company_id"): "CASCADE",
    ("staff", "company_id"): "CASCADE",
    ("staff_schedules", "company_id"): "CASCADE",
    ("staff_schedules", "staff_id"): "CASCADE",
    ("bookings", "company_id"): "CASCADE",
    ("bookings", "client_id"): "RESTRICT",
    ("bookings", "service_id"): "RESTRICT",
    ("bookings", "staff_id"): "RESTRICT",
    ("reminders", "company_id"): "CASCADE",
    ("reminders", "booking_id"): "CASCADE",
    ("appointments_cache", "company_id"): "CASCADE",
    ("dialog_contexts", "company_id"): "CASCADE",
    ("dialog_contexts", "client_id"): "SET NULL",
    ("sync_status", "company_id"): "CASCADE",
    ("messages", "company_id"): "CASCADE",
    ("whatsapp_auth_keys", "company_id"): "CASCADE",
}


async def test_foreign_keys_declare_the_seeds_on_delete(conn):
    rows = await conn.fetch(
        """
        SELECT con.conrelid::regclass::text AS table_name, a.attname AS column_name,
               pg_get_constraintdef(con.oid) AS definition
        FROM pg_constraint con
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
        WHERE con.contype = 'f' AND con.conrelid::regclass::text = ANY($1::text[])
        """,
        list(BUSINESS_TABLES),
    )
    actual = {
        (r["table_name"], r["column_name"]): r["definition"].split("ON DELETE ")[1]
        for r in rows
    }
    assert actual == EXPECTED_ON_DELETE


# PostgreSQL 15 reports a RESTRICT violation as a foreign key violation
# (23503); later versions as restrict_violation (23001).
REFUSED = (asyncpg.RestrictViolationError, asyncpg.ForeignKeyViolationError)


@pytest.mark.parametrize(
    "referenced,constraint",
    [
        ("clients", "bookings_client_id_fkey"),
        ("services", "bookings_service_id_fkey"),
        ("staff", "bookings_staff_id_fkey"),
    ],
)
async def test_restrict_refuses_deleting_what_a_booking_names(graph, tx, referenced, constraint):
    with pytest.raises(REFUSED, match=constraint):
        await tx.execute(f"DELETE FROM {referenced} WHERE id = $1", graph[referenced])


async def test_deleting_the_company_cascades_to_every_table(graph, tx):
    await tx.execute("DELETE FROM companies WHERE id = $1", graph["companies"])
    for table in BUSINESS_TABLES:
        assert await tx.fetchval(f"SELECT count(*) FROM {table} WHERE id = $1", graph[table]) == 0


async def test_deleting_a_booking_takes_its_reminders(graph, tx):
    await tx.execute("DELETE FROM bookings WHERE id = $1", graph["bookings"])
    assert await tx.fetchval("SELECT count(*) FROM reminders WHERE id = $1", graph["reminders"]) == 0


async def test_a_dialog_outlives_its_client(graph, tx):
    await tx.execute("DELETE FROM bookings WHERE id = $1", graph["bookings"])
    await tx.execute("DELETE FROM clients WHERE id = $1", graph["clients"])
    client = await tx.fetchval(
        "SELECT client_id FROM dialog_contexts WHERE id = $1", graph["dialog_contexts"]
    )
    assert client is None


@pytest.mark.parametrize(
    "table,column,constraint",
    [
        ("bookings", "status", "bookings_status_check"),
        ("bookings", "source", "bookings_source_check"),
        ("dialog_contexts", "state", "dialog_contexts_state_check"),
        ("reminders", "reminder_type", "reminders_reminder_type_check"),
        ("reminders", "status", "reminders_status_check"),
        ("sync_status", "entity_type", "sync_status_entity_type_check"),
        ("sync_status", "status", "sync_status_status_check"),
        ("messages", "direction", "messages_direction_check"),
        ("messages", "message_type", "messages_message_type_check"),
        ("messages", "status", "messages_status_check"),
        ("whatsapp_auth_keys", "key_type", "whatsapp_auth_keys_key_type_check"),
    ],
)
async def test_enum_columns_refuse_other_values(graph, tx, table, column, constraint):
    with pytest.raises(asyncpg.CheckViolationError, match=constraint):
        await tx.execute(
            f"UPDATE {table} SET {column} = 'bogus' WHERE id = $1", graph[table]
        )


@pytest.mark.parametrize(
    "table", ["clients", "staff", "appointments_cache", "dialog_contexts", "messages"]
)
@pytest.mark.parametrize("phone", ["+79001112233", "7 900 111", "8(900)1112233", "7900111223x"])
async def test_phones_are_digits_only(graph, tx, table, phone):
    with pytest.raises(asyncpg.CheckViolationError, match=f"{table}_phone_digits"):
        await tx.execute(f"UPDATE {table} SET phone = $2 WHERE id = $1", graph[table], phone)


async def test_yclients_ids_are_unique_per_company_and_optional(tx):
    first, second = await new_company(tx), await new_company(tx, "Other salon")
    # WhatsApp-only clients: any number of them without a YClients id
    await insert(tx, "clients", company_id=first, phone="79000000001")
    await insert(tx, "clients", company_id=first, phone="79000000002")
    await insert(tx, "clients", company_id=first, phone="79000000003", yclients_client_id="7")
    await insert(tx, "clients", company_id=second, phone="79000000003", yclients_client_id="7")
    with pytest.raises(asyncpg.UniqueViolationError, match="clients_company_yclients_id_key"):
        await insert(tx, "clients", company_id=first, phone="79000000004", yclients_client_id="7")


async def test_a_phone_is_one_client_per_company(tx):
    company = await new_company(tx)
    await insert(tx, "clients", company_id=company, phone="79000000001")
    with pytest.raises(asyncpg.UniqueViolationError, match="clients_company_phone_key"):
        await insert(tx, "clients", company_id=company, phone="79000000001")


@pytest.mark.parametrize("table", UPDATED_AT_TABLES)
async def test_raw_sql_update_moves_updated_at(graph, tx, table):
    await tx.execute(
        f"ALTER TABLE {table} DISABLE TRIGGER {table}_set_updated_at;"
        f"UPDATE {table} SET updated_at = '2000-01-01' WHERE id = '{graph[table]}';"
        f"ALTER TABLE {table} ENABLE TRIGGER {table}_set_updated_at;"
    )
    await tx.execute(f"UPDATE {table} SET created_at = created_at WHERE id = $1", graph[table])
    moved = await tx.fetchval(
        f"SELECT updated_at > now() - interval '1 minute' FROM {table} WHERE id = $1",
        graph[table],
    )
    assert moved is True
