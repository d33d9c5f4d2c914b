"""Seed 000's DDL, checked against the migrated database."""

import pytest

SEED_INDEXES = {
    "idx_servicetitan_credentials_company": "(company_id)",
    "idx_servicetitan_credentials_status": "(connection_status)",
    "idx_servicetitan_credentials_expires": "(token_expires_at)",
    "idx_servicetitan_sync_logs_credential": "(servicetitan_credential_id)",
    "idx_servicetitan_sync_logs_status": "(status)",
    "idx_servicetitan_sync_logs_started": "(started_at)",
    "idx_servicetitan_sync_logs_type": "(sync_type, data_type)",
}

# column: (type, nullable, default) exactly as seed 000 writes them
SEED_COLUMNS = {
    "servicetitan_credentials": {
        "id": ("uuid", False, "gen_random_uuid()"),
        "company_id": ("uuid", False, None),
        "environment": ("character varying(20)", False, None),
        "client_id": ("text", False, None),
        "client_secret": ("text", False, None),
        "access_token": ("text", True, None),
        "refresh_token": ("text", True, None),
        "token_expires_at": ("timestamp without time zone", True, None),
        "connection_status": (
            "character varying(20)",
            False,
            "'inactive'::character varying",
        ),
        "last_connection_attempt": ("timestamp without time zone", True, None),
        "created_at": ("timestamp without time zone", False, "CURRENT_TIMESTAMP"),
        "updated_at": ("timestamp without time zone", False, "CURRENT_TIMESTAMP"),
    },
    "servicetitan_sync_logs": {
        "id": ("uuid", False, "gen_random_uuid()"),
        "servicetitan_credential_id": ("uuid", False, None),
        "sync_type": ("character varying(20)", False, None),
        "data_type": ("character varying(20)", False, None),
        "status": ("character varying(20)", False, None),
        "started_at": ("timestamp without time zone", False, "CURRENT_TIMESTAMP"),
        "completed_at": ("timestamp without time zone", True, None),
        "records_processed": ("integer", True, "0"),
        "records_successful": ("integer", True, "0"),
        "records_failed": ("integer", True, "0"),
        "error_message": ("text", True, None),
        "error_details": ("json", True, None),
        "processing_time_seconds": ("integer", True, None),
    },
}


# columns added beyond the seed (SPEC.md welcomes additive ones)
ADDITIVE_COLUMNS = {
    "servicetitan_credentials": {
        "tenant_id": ("bigint", True, None),
        "connection_error": ("text", True, None),
    },
    "servicetitan_sync_logs": {},
}


@pytest.mark.parametrize("table", sorted(SEED_COLUMNS))
async def test_columns_match_the_seed(conn, table):
    rows = await conn.fetch(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type,
               NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default
        FROM pg_attribute a
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
        """,
        f"public.{table}",
    )
    actual = {r["attname"]: (r["type"], r["nullable"], r["default"]) for r in rows}
    assert actual == {**SEED_COLUMNS[table], **ADDITIVE_COLUMNS[table]}


async def test_the_seven_seed_indexes_exist_by_name(conn):
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'idx_servicetitan_%'"
    )
    actual = {r["indexname"]: r["indexdef"] for r in rows}
    # Beyond the seed: a credential's newest syncs (the admin's credential pages).
    assert set(actual) == set(SEED_INDEXES) | {"idx_servicetitan_sync_logs_credential_started"}
    for name, columns in SEED_INDEXES.items():
        assert actual[name].endswith(f"USING btree {columns}"), actual[name]


async def test_foreign_keys_cascade(conn):
    rows = await conn.fetch(
        """
        SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent,
               confdeltype::text AS confdeltype
        FROM pg_constraint WHERE contype = 'f'
          AND conrelid::regclass::text LIKE 'servicetitan_%'
        """
    )
    assert {(r["child"], r["parent"], r["confdeltype"]) for r in rows} == {
        ("servicetitan_credentials", "companies", "c"),
        ("servicetitan_sync_logs", "servicetitan_credentials", "c"),
    }


async def test_unique_company_environment(conn):
    definition = await conn.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'servicetitan_credentials'::regclass AND contype = 'u'"
    )
    assert definition == "UNIQUE (company_id, environment)"
