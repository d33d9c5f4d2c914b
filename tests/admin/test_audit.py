"""The admin's audit trail: every action of a logged-in admin that may
change data is an entry (who, from where, what, how it ended), passwords
and secrets left out; the database refuses to change an entry; the admin
shows it read-only. And no body over the limit is parsed, logged in or not."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from tests.admin.support import PASSWORD, asgi_client, csrf, form_to, forms_of, log_in, submit


async def _entries_since(conn, last_id: int) -> list[dict]:
    rows = await conn.fetch("SELECT * FROM admin_audit_log WHERE id > $1 ORDER BY id", last_id)
    return [{**dict(row), "detail": json.loads(row["detail"])} for row in rows]


async def _last_id(conn) -> int:
    return await conn.fetchval("SELECT coalesce(max(id), 0) FROM admin_audit_log")


@pytest.fixture
async def company(conn):
    company_id = await conn.fetchval(
        "INSERT INTO companies (name) VALUES ($1) RETURNING id", f"Audited {uuid.uuid4().hex[:6]}"
    )
    yield company_id
    await conn.execute("DELETE FROM companies WHERE id = $1", company_id)


async def test_a_save_in_piccolo_admin_is_recorded(client, admin_username, conn, company):
    last = await _last_id(conn)
    saved = await client.patch(
        f"/admin/api/tables/companies/{company}/",
        json={"name": "Audited, renamed"},
        headers=csrf(client),
    )
    assert saved.status_code == 200, saved.text
    (entry,) = await _entries_since(conn, last)
    assert (entry["username"], entry["action"], entry["target"], entry["outcome"]) == (
        admin_username,
        "update row",
        f"companies {company}",
        200,
    )
    assert entry["address"] == "127.0.0.1"
    assert entry["detail"]["body"] == {"name": "Audited, renamed"}
    assert await conn.fetchval("SELECT now() - $1::timestamptz < interval '1 minute'", entry["at"])


async def test_a_refused_write_is_recorded_with_its_answer(client, conn, company):
    last = await _last_id(conn)
    refused = await client.patch(
        f"/admin/api/tables/companies/{company}/",
        json={"no_such_column": 1},
        headers=csrf(client),
    )
    assert refused.status_code == 400
    (entry,) = await _entries_since(conn, last)
    assert (entry["action"], entry["outcome"]) == ("update row", 400)


async def test_a_new_users_password_never_reaches_the_trail(superuser, conn):
    last = await _last_id(conn)
    name = f"audited_{uuid.uuid4().hex[:6]}"
    made = await superuser.post(
        "/admin/api/tables/piccolo_user/",
        json={
            "username": name,
            "password": PASSWORD,
            "email": f"{name}@example.com",
            "active": True,
            "admin": False,
            "superuser": False,
        },
        headers=csrf(superuser),
    )
    assert made.status_code == 201, made.text
    (entry,) = await _entries_since(conn, last)
    assert entry["action"] == "add row" and entry["detail"]["body"]["password"] == "<redacted>"
    assert PASSWORD not in json.dumps(entry, default=str) and "pbkdf2" not in json.dumps(
        entry, default=str
    )
    await conn.execute("DELETE FROM piccolo_user WHERE username = $1", name)


async def test_an_own_pages_action_is_recorded(client, conn, known_credential):
    page = await client.get(f"/inspect/credentials/{known_credential.id}/")
    form = form_to(page.text, "/status/")
    last = await _last_id(conn)
    done = await submit(client, form, connection_status=form.fields["connection_status"])
    assert done.status_code == 303
    (entry,) = await _entries_since(conn, last)
    assert (entry["action"], entry["target"]) == (
        "set connection status",
        f"credentials {known_credential.id}",
    )
    assert entry["detail"]["body"]["csrftoken"] == "<redacted>"


async def test_nothing_a_stranger_sends_is_recorded(anonymous, conn, company):
    last = await _last_id(conn)
    await anonymous.get("/admin/")
    for _ in range(3):
        response = await anonymous.patch(
            f"/admin/api/tables/companies/{company}/",
            json={"name": "x"},
            headers=csrf(anonymous),
        )
        assert response.status_code == 401
    assert await _entries_since(conn, last) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE admin_audit_log SET username = 'someone else'",
        "DELETE FROM admin_audit_log",
        "TRUNCATE admin_audit_log",
    ],
)
async def test_the_trail_is_append_only(client, conn, company, statement):
    await client.patch(
        f"/admin/api/tables/companies/{company}/", json={"name": "y"}, headers=csrf(client)
    )
    before = await conn.fetchval("SELECT count(*) FROM admin_audit_log")
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await conn.execute(statement)
    assert await conn.fetchval("SELECT count(*) FROM admin_audit_log") == before


async def test_an_entry_cannot_be_backdated(conn):
    at = await conn.fetchval(
        "INSERT INTO admin_audit_log (at, username, address, action, outcome)"
        " VALUES (now() - interval '400 days', 'forger', '192.0.2.1', 'nothing', 200)"
        " RETURNING at"
    )
    assert await conn.fetchval("SELECT now() - $1::timestamptz < interval '1 minute'", at)


async def test_the_trail_is_shown_read_only(client, conn, company):
    await client.patch(
        f"/admin/api/tables/companies/{company}/", json={"name": "z"}, headers=csrf(client)
    )
    page = await client.get("/inspect/tables/admin_audit_log/")
    assert page.status_code == 200 and f"companies {company}" in page.text
    assert forms_of(page.text) == []
    entry = await conn.fetchval("SELECT max(id) FROM admin_audit_log")
    shown = await client.get(f"/inspect/tables/admin_audit_log/{entry}/")
    assert forms_of(shown.text) == [] and "Append-only" in shown.text
    assert (await client.get("/admin/api/tables/admin_audit_log/")).status_code == 404


async def test_a_body_over_the_limit_is_refused_before_the_login(admin_app, admin_username):
    from admin.body_limit import MAX_BODY_BYTES

    async with asgi_client(admin_app) as client:
        await client.get("/admin/")
        huge = json.dumps({"username": admin_username, "password": "x" * MAX_BODY_BYTES})
        refused = await client.post(
            "/admin/public/login/",
            content=huge,
            headers={**csrf(client), "Content-Type": "application/json"},
        )
        assert refused.status_code == 413
        assert (await log_in(client, admin_username)).status_code == 200


async def test_a_maintenance_form_and_a_password_change_are_recorded(admin_app, conn):
    from tests.admin.support import create_admin_user

    username = await create_admin_user()
    async with asgi_client(admin_app) as client:
        assert (await log_in(client, username)).status_code == 200
        last = await _last_id(conn)
        shown = await client.post(
            "/admin/api/forms/clean-up-expired-dialog-contexts/", json={}, headers=csrf(client)
        )
        assert shown.status_code == 200
        changed = await client.post(
            "/admin/api/change-password/",
            json={
                "current_password": PASSWORD,
                "new_password": "correct horse battery staple",
                "confirm_new_password": "correct horse battery staple",
            },
            headers=csrf(client),
        )
        assert changed.status_code < 500
    entries = await _entries_since(conn, last)
    assert [(e["username"], e["action"], e["target"]) for e in entries] == [
        (username, "run form", "clean-up-expired-dialog-contexts"),
        (username, "change password", "/admin/api/change-password/"),
    ]
    body = entries[1]["detail"]["body"]
    assert set(body.values()) == {"<redacted>"}  # every field is a password
