"""``Message.insert_bulk`` keeps its contract: a bad message is an
``InvalidMessage`` naming its index, nothing of the batch is written, and the
caller's transaction goes on; JSON is stored by the rule of every other path."""

import uuid

import pytest

from business.message_rows import InvalidMessage
from business.tables import Company, Message
from platform_db.values.rejections import DataRejected

UNKNOWN_COMPANY = uuid.UUID("00000000-0000-0000-0000-00000000beef")


@pytest.fixture
async def company(migrated):
    row = await Company.create(name="Bulk salon")
    yield row.id
    await Company.delete().where(Company.id == row.id)


def message(company, **fields) -> dict:
    return {"company_id": company, "phone": "79001112233", "direction": "incoming", **fields}


async def contents(company) -> list:
    rows = await Message.select(Message.content).where(Message.company == company)
    return sorted(r["content"] for r in rows)


@pytest.mark.parametrize(
    "bad",
    [
        {"direction": "sideways"},  # refused in Python
        {"company_id": UNKNOWN_COMPANY},  # refused by PostgreSQL (foreign key)
        {"content": "a\x00b"},
    ],
    ids=["python", "foreign-key", "nul"],
)
async def test_a_refused_batch_leaves_the_callers_transaction_usable(company, bad):
    async with Message._meta.db.transaction():
        await Message.insert_bulk([message(company, content="before")])
        with pytest.raises(InvalidMessage, match="messages row 1: "):
            await Message.insert_bulk([message(company, content="refused"), message(company, **bad)])
        await Message.insert_bulk([message(company, content="after")])
    assert await contents(company) == ["after", "before"]


@pytest.mark.parametrize(
    "bad,column,reason",
    [
        ({"content": 123}, "content", "must be a string"),
        ({"content": "a\x00b"}, "content", "NUL"),
        ({"content": "\ud800"}, "content", "surrogate"),
        ({"whatsapp_message_id": 5}, "whatsapp_message_id", "must be a string"),
        ({"whatsapp_message_id": "x" * 101}, "whatsapp_message_id", "longer than 100"),
        ({"company_id": UNKNOWN_COMPANY}, "company_id", "companies"),
        ({"metadata": {"n": float("nan")}}, "metadata", "JSON"),
        ({"metadata": {"text": "a\x00b"}}, "metadata", "NUL"),
        ({"metadata": '{"a": NaN}'}, "metadata", "JSON"),
        ({"metadata": "not json"}, "metadata", "JSON"),
        ({"metadata": {1, 2}}, "metadata", "JSON"),
        ({"created_at": "yesterday"}, "created_at", "datetime"),
    ],
)
async def test_every_bad_message_is_invalid_message_with_its_index(company, bad, column, reason):
    batch = [message(company, content=str(i)) for i in range(5)]
    batch.insert(3, message(company, **bad))
    with pytest.raises(InvalidMessage) as refused:
        await Message.insert_bulk(batch)
    assert isinstance(refused.value, DataRejected)
    assert refused.value.index == 3
    assert refused.value.column == column
    assert str(refused.value).startswith("messages row 3: ")
    assert reason in str(refused.value) and "nothing was inserted" in str(refused.value)
    assert await contents(company) == []


async def test_json_text_metadata_is_stored_as_the_object_it_holds(company, conn):
    await Message.insert_bulk([message(company, content="bulk", metadata='{"wamid": "abc"}')])
    await Message.create(
        company=company, phone="79001112233", direction="incoming", content="orm",
        metadata='{"wamid": "abc"}',
    )  # fmt: skip
    await Message.insert_bulk([message(company, content="dict", metadata={"wamid": "abc"})])
    found = await conn.fetch(
        "SELECT content, jsonb_typeof(metadata) AS kind FROM messages "
        """WHERE company_id = $1 AND metadata @> '{"wamid": "abc"}' ORDER BY content""",
        company,
    )
    assert [(r["content"], r["kind"]) for r in found] == [
        ("bulk", "object"), ("dict", "object"), ("orm", "object"),
    ]  # fmt: skip


@pytest.mark.parametrize("metadata", ['{"a": NaN}', {"a": float("inf")}, {"text": "a\x00b"}, "{"])
async def test_the_orm_refuses_the_json_the_bulk_path_refuses(company, metadata):
    with pytest.raises(DataRejected) as refused:
        await Message.create(
            company=company, phone="79001112233", direction="incoming", metadata=metadata
        )
    assert refused.value.column == "metadata"
    with pytest.raises(InvalidMessage) as bulk:
        await Message.insert_bulk([message(company, metadata=metadata)])
    assert refused.value.reason in bulk.value.reason
    assert await contents(company) == []
