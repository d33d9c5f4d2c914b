"""The messages_admin_list_indexes migration: both indexes valid and
attached on every partition, on a partition made later too, and used by
the admin's list pages (newest first; one phone, exactly or by prefix)."""

import re

import pytest

from business.piccolo_migrations.business_2026_12_07t14_08_13_messages_admin_list_indexes import (
    INDEXES,
)
from tests.business.rows import month_start, partition_name

PARENTS = [index.name for index in INDEXES]

CHILDREN = """
SELECT c.relname AS partition, p.relname AS parent, x.indisvalid AS valid
FROM pg_inherits t
JOIN pg_class c ON c.oid = t.inhrelid
JOIN pg_index x ON x.indrelid = c.oid
JOIN pg_inherits h ON h.inhrelid = x.indexrelid
JOIN pg_class p ON p.oid = h.inhparent
WHERE t.inhparent = 'public.messages'::regclass AND p.relname = ANY($1::text[])
"""


async def attached(conn) -> dict[str, set[str]]:
    """The partitions of messages whose index of each parent index is valid."""
    found = {name: set() for name in PARENTS}
    for row in await conn.fetch(CHILDREN, PARENTS):
        if row["valid"]:
            found[row["parent"]].add(row["partition"])
    return found


async def partitions(conn) -> set[str]:
    return {
        row["relname"]
        for row in await conn.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'public.messages'::regclass"
        )
    }


async def test_every_partition_has_both_indexes_valid_and_attached(conn):
    valid = await conn.fetch(
        "SELECT relname, indisvalid FROM pg_index JOIN pg_class ON oid = indexrelid"
        " WHERE relname = ANY($1::text[])",
        PARENTS,
    )
    assert {(r["relname"], r["indisvalid"]) for r in valid} == {(n, True) for n in PARENTS}
    every = await partitions(conn)
    assert "messages_default" in every
    assert await attached(conn) == {name: every for name in PARENTS}


async def test_a_partition_made_later_gets_both_indexes(tx):
    month = month_start(40)  # far ahead: no test makes it
    await tx.fetch("SELECT * FROM create_messages_partition($1)", month.date())
    made = await attached(tx)
    assert all(partition_name(month) in made[name] for name in PARENTS), made
    assert await attached(tx) == {name: await partitions(tx) for name in PARENTS}


@pytest.mark.parametrize(
    "where, order, index",
    [
        ("", "created_at DESC, id DESC", "messages_newest_idx"),
        (
            "WHERE phone COLLATE \"C\" = '79001112233'",
            "created_at DESC, id DESC",
            "messages_phone_newest_idx",
        ),
        (
            "WHERE phone COLLATE \"C\" LIKE '7900%'",
            'phone COLLATE "C", created_at DESC, id DESC',
            "messages_phone_newest_idx",
        ),
    ],
)
async def test_the_admin_pages_read_the_indexes(tx, where, order, index):
    """With sorting and full scans priced out, as on a big table: the plan
    walks the partitions' indexes of the parent index, no Sort."""
    await tx.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
    plan = "\n".join(
        r[0] for r in await tx.fetch(f"EXPLAIN SELECT * FROM messages {where} ORDER BY {order}")
    )
    children = {
        r["relname"]
        for r in await tx.fetch(
            "SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
            " WHERE h.inhparent = $1::regclass",
            f"public.{index}",
        )
    }
    used = {word for line in plan.splitlines() for word in line.split() if word in children}
    assert used and not re.search(r"(^|-> +)Sort +\(", plan, re.M), plan
