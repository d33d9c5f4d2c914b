"""Session tokens stay out of a default ``select()`` (platform_db.secrets.secret_columns):
the reporting app's ``sessions.token_hash`` and the admin's session tokens,
as the credentials' and WhatsApp keys' ciphertexts already were
(tests/servicetitan/test_credentials.py). Asked for, they are returned."""

from __future__ import annotations

import secrets

import pytest

from admin.tables import AdminSession
from reporting.tables import Session
from tests.reporting.rows import insert, insert_user


@pytest.fixture
async def reporting_session(conn):
    token_hash = secrets.token_hex(32)
    user = await insert_user(conn)
    session = await insert(
        conn,
        "sessions",
        user_id=user,
        token_hash=token_hash,
        expires_at=await conn.fetchval("SELECT now() + interval '1 day'"),
    )
    yield session, token_hash
    await conn.execute("DELETE FROM users WHERE id = $1", user)


async def test_a_default_select_of_sessions_leaves_the_token_hash_out(reporting_session):
    session, token_hash = reporting_session
    [row] = await Session.select().where(Session.id == session)
    assert "token_hash" not in row and token_hash not in repr(row)
    assert row["expires_at"] is not None
    [asked] = await Session.select(Session.token_hash, exclude_secrets=False).where(
        Session.id == session
    )
    assert asked["token_hash"] == token_hash


async def test_a_default_select_of_admin_sessions_leaves_the_token_out(migrated):
    session = await AdminSession.create_session(user_id=1)
    try:
        rows = await AdminSession.select().where(AdminSession.id == session.id)
        assert rows and "token" not in rows[0]
        assert session.token not in repr(rows)
        # piccolo_api's own lookup (objects(), whole rows) still finds it.
        assert await AdminSession.get_user_id(session.token) == 1
    finally:
        await AdminSession.delete().where(AdminSession.id == session.id)


def test_selecting_only_a_token_without_asking_is_a_clear_error():
    with pytest.raises(ValueError, match="sessions: token_hash selected with exclude_secrets=True"):
        Session.select(Session.token_hash)
