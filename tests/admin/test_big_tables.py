"""The read-only lists as the tables grow: pages by keyset (newest, newer,
older, oldest: each a read of 50 index entries whatever the page), counts
capped or from the catalog, a phone found by its stored digits (exactly,
or all that start with them). bench/admin_lists.py times them at 1 M
messages and 200,000 cached jobs."""

from __future__ import annotations

import re
import uuid

import pytest


@pytest.fixture
async def conversation(conn):
    """A company with 120 messages, one a minute, from three phones."""
    company = await conn.fetchval(
        "INSERT INTO companies (name) VALUES ($1) RETURNING id", f"Pages {uuid.uuid4().hex[:6]}"
    )
    await conn.execute(
        "INSERT INTO messages (company_id, phone, direction, content, created_at)"
        " SELECT $1, '7900123450' || (n % 3), 'incoming', 'message ' || n,"
        "        now() - n * interval '1 minute'"
        " FROM generate_series(1, 120) AS n",
        company,
    )
    yield company
    await conn.execute("DELETE FROM companies WHERE id = $1", company)


def _contents(page: str) -> list[str]:
    return re.findall(r'<td class="value">(message \d+)</td>', page)


def _link(page: str, label: str) -> str | None:
    found = re.search(rf'<a href="(\?[^"]*)">{label}</a>', page)
    return found[1].replace("&amp;", "&") if found else None


async def test_pages_by_keyset_show_every_row_once(client, conversation):
    base = f"/inspect/tables/messages/?company_id={conversation}"
    page = (await client.get(base)).text
    assert "120 rows" in page
    seen = _contents(page)
    assert seen[:2] == ["message 1", "message 2"]  # newest first
    assert _link(page, "newer") is None
    while (older := _link(page, "older")) is not None:
        page = (await client.get(f"/inspect/tables/messages/{older}")).text
        seen += _contents(page)
    assert seen == [f"message {n}" for n in range(1, 121)]
    oldest = (await client.get(f"{base}&last=yes")).text
    assert _contents(oldest) == [f"message {n}" for n in range(71, 121)]
    newer = (await client.get(f"/inspect/tables/messages/{_link(oldest, 'newer')}")).text
    assert _contents(newer) == [f"message {n}" for n in range(21, 71)]


async def test_a_phone_is_found_by_its_digits_or_their_start(client, conversation):
    base = f"/inspect/tables/messages/?company_id={conversation}"
    exact = (await client.get(base + "&phone=%2B7 (900) 123-45-01")).text
    assert "40 rows" in exact and len(_contents(exact)) == 40
    assert all(int(m.split()[1]) % 3 == 1 for m in _contents(exact))
    start = (await client.get(base + "&phone=7900123*")).text
    assert "120 rows" in start
    assert _contents(start)[:2] == ["message 3", "message 6"]  # by phone, then newest first
    refused = await client.get(base + "&phone=abc")
    assert refused.status_code == 400 and "phone needs digits" in refused.text


async def test_a_big_table_is_counted_from_the_catalog(client, conn):
    from admin.reads import COUNT_CAP

    rows = await conn.fetchval("SELECT count(*) FROM messages")
    page = (await client.get("/inspect/tables/messages/")).text
    if rows <= COUNT_CAP:
        assert f"{rows:,} row" in page
    else:
        assert "rows (the catalog's estimate)" in page


async def test_a_page_mark_of_another_list_is_refused(client):
    refused = await client.get("/inspect/tables/messages/?after=1,2,3")
    assert refused.status_code == 400 and "page mark" in refused.text
    bad = await client.get("/inspect/tables/messages/?after=yesterday,x")
    assert bad.status_code == 400
