"""History no admin can erase from the admin: a Delete whose cascade takes
sync logs, sync runs or messages with it is refused by Piccolo Admin (one
row or many, for anyone); a superuser deletes such a row on the admin's own
page, which counts what goes with it, asks for its confirmation code and
records the counts in the audit trail. Customers' messages and the sync
histories are shown read-only."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.admin.support import csrf, forms_of, submit


@pytest.fixture
async def company_with_history(conn):
    """A company with a credential, two finished sync logs and three messages."""
    from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

    company = await conn.fetchval(
        "INSERT INTO companies (name) VALUES ($1) RETURNING id", f"History {uuid.uuid4().hex[:6]}"
    )
    credential = await ServiceTitanCredential.register(company, "production", "c", "cs-history")
    for _ in range(2):
        log = await ServiceTitanSyncLog.start(credential.id, "manual", "jobs")
        await log.complete(processed=1, successful=1, failed=0)
    await conn.execute(
        "INSERT INTO messages (company_id, phone, direction)"
        " SELECT $1, '79001234567', 'incoming' FROM generate_series(1, 3)",
        company,
    )
    yield company, credential.id
    await conn.execute("DELETE FROM companies WHERE id = $1", company)


async def _history(conn, company, credential) -> tuple[int, int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM companies WHERE id = $1", company),
        await conn.fetchval(
            "SELECT count(*) FROM servicetitan_sync_logs WHERE servicetitan_credential_id = $1",
            credential,
        ),
        await conn.fetchval("SELECT count(*) FROM messages WHERE company_id = $1", company),
    )


async def test_piccolo_admin_refuses_a_delete_that_takes_history(
    client, superuser, conn, company_with_history
):
    """Issue 24: any admin's DELETE /api/tables/companies/<id>/ answered 204,
    and the company's credentials and all their sync logs went with it."""
    company, credential = company_with_history
    for who in (client, superuser):
        one = await who.delete(f"/admin/api/tables/companies/{company}/", headers=csrf(who))
        assert one.status_code == 403, one.text
        detail = one.json()["detail"]
        assert "public.servicetitan_sync_logs" in detail and "public.messages" in detail
        assert f"/inspect/delete/companies/{company}/" in detail
        # Piccolo Admin deletes many rows one by one; its bulk route is off.
        many = await who.delete(f"/admin/api/tables/companies/?id={company}", headers=csrf(who))
        assert many.status_code in (403, 405), many.text
    assert await _history(conn, company, credential) == (1, 2, 3)


async def test_a_delete_that_takes_no_history_still_works(client, conn):
    user = await conn.fetchval(
        "INSERT INTO users (email) VALUES ($1) RETURNING id", f"{uuid.uuid4().hex[:8]}@example.com"
    )
    done = await client.delete(f"/admin/api/tables/users/{user}/", headers=csrf(client))
    assert done.status_code == 204, done.text
    assert await conn.fetchval("SELECT count(*) FROM users WHERE id = $1", user) == 0


async def test_a_superuser_deletes_after_seeing_what_goes(superuser, conn, company_with_history):
    company, credential = company_with_history
    page = await superuser.get(f"/inspect/delete/companies/{company}/")
    assert page.status_code == 200, page.text
    counts = dict(
        re.findall(
            r"<tr><td>([\w.]+)(?: <span[^>]*>history</span>)?</td>"
            r"<td class=\"number\">(\d+)</td>",
            page.text,
        )
    )
    assert counts["public.companies"] == "1"
    assert counts["public.servicetitan_credentials"] == "1"
    assert counts["public.servicetitan_sync_logs"] == "2"
    assert counts["public.messages"] == "3"
    (form,) = forms_of(page.text)
    last = await conn.fetchval("SELECT coalesce(max(id), 0) FROM admin_audit_log")
    done = await submit(superuser, form)
    assert done.status_code == 200, done.text
    assert "Deleted, with it" in done.text
    assert await _history(conn, company, credential) == (0, 0, 0)
    entry = await conn.fetchrow("SELECT * FROM admin_audit_log WHERE id > $1", last)
    assert (entry["action"], entry["target"]) == (
        "delete row with its history",
        f"companies {company}",
    )
    assert json.loads(entry["detail"])["deleted"]["public.servicetitan_sync_logs"] == 2


async def test_a_page_shown_before_the_history_grew_deletes_nothing(
    superuser, conn, company_with_history
):
    from servicetitan.tables import ServiceTitanSyncLog

    company, credential = company_with_history
    (form,) = forms_of((await superuser.get(f"/inspect/delete/companies/{company}/")).text)
    await ServiceTitanSyncLog.start(credential, "manual", "jobs")  # a third log meanwhile
    refused = await submit(superuser, form)
    assert refused.status_code == 409 and "Not deleted: the code does not confirm" in refused.text
    assert await _history(conn, company, credential) == (1, 3, 3)
    again = await submit(superuser, forms_of(refused.text)[0])  # the page now shown: 3 logs
    assert again.status_code == 200
    assert await _history(conn, company, credential) == (0, 0, 0)


async def test_only_a_superuser_may_open_the_page(client, company_with_history):
    company, _ = company_with_history
    page = await client.get(f"/inspect/delete/companies/{company}/")
    assert page.status_code == 403 and "Only a superuser" in page.text
    posted = await client.post(
        f"/inspect/delete/companies/{company}/",
        data={"csrftoken": client.cookies["csrftoken"], "confirmation": "x-1-y"},
    )
    assert posted.status_code == 403


@pytest.mark.parametrize("table", ["messages", "sync_runs", "ct_raw_snapshots"])
async def test_histories_are_shown_read_only(client, table):
    assert (await client.get(f"/admin/api/tables/{table}/")).status_code == 404
    page = await client.get(f"/inspect/tables/{table}/")
    assert page.status_code == 200 and forms_of(page.text) == []
