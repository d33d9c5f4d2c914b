"""Rows inserted by raw SQL, the database choosing their ids."""

import uuid


async def insert(conn, table: str, **values) -> uuid.UUID:
    """Insert one row by raw SQL, letting the database choose its id."""
    columns = ", ".join(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return await conn.fetchval(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id",
        *values.values(),
    )


async def insert_tenant(conn) -> uuid.UUID:
    return await insert(conn, "tenants", name="Acme Plumbing", slug=f"acme-{uuid.uuid4().hex[:12]}")


async def insert_user(conn, email: str | None = None) -> uuid.UUID:
    return await insert(conn, "users", email=email or f"user-{uuid.uuid4().hex[:12]}@example.com")
