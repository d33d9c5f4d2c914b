"""The catalog snapshot sees every kind of object a migration can leave."""

from platform_db.database.catalog import diff, snapshot, without_piccolo
from tests.conftest import SERVER_URL
from tests.support.databases import connect, create_database, drop_database

OBJECTS = """
CREATE SCHEMA probe;
CREATE TYPE probe.mood AS ENUM ('ok', 'sad');
CREATE TABLE probe.parent (id int PRIMARY KEY, mood probe.mood DEFAULT 'ok');
CREATE TABLE probe.child (
    id int PRIMARY KEY,
    parent_id int REFERENCES probe.parent (id) ON DELETE RESTRICT,
    amount numeric(10, 2) NOT NULL CONSTRAINT amount_positive CHECK (amount > 0)
);
CREATE INDEX child_parent_idx ON probe.child (parent_id) WHERE amount > 1;
CREATE VIEW probe.big AS SELECT id FROM probe.child WHERE amount > 100;
CREATE FUNCTION probe.touch() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER child_touch BEFORE UPDATE ON probe.child
    FOR EACH ROW EXECUTE FUNCTION probe.touch();
CREATE TABLE probe.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE probe.events_2026 PARTITION OF probe.events
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
"""

EXPECTED = [
    "schemas: probe is new",
    "types: probe.mood is new",
    "relations: probe.child is new",
    "columns: probe.child.amount is new ('numeric(10,2) NOT NULL #3')",
    "constraints: probe.child.amount_positive is new ('CHECK ((amount > (0)::numeric))')",
    "constraints: probe.child.child_parent_id_fkey is new "
    "('FOREIGN KEY (parent_id) REFERENCES probe.parent(id) ON DELETE RESTRICT')",
    "indexes: probe.child_parent_idx is new",
    "views: probe.big is new",
    "functions: probe.touch() is new",
    "triggers: probe.child.child_touch is new",
    "relations: probe.events_2026 is new (\"r partition of probe.events "
    "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')\")",
    "relations: probe.events is new ('p partitioned by RANGE (at)')",
]


async def test_snapshot_sees_every_kind_of_object_and_its_removal():
    url = create_database(SERVER_URL, "test_catalog")
    try:
        conn = await connect(url)
        try:
            empty = await snapshot(conn)
            await conn.execute(OBJECTS)
            full = await snapshot(conn)
            lines = diff(empty, full)
            for expected in EXPECTED:
                assert any(line.startswith(expected) for line in lines), (expected, lines)
            await conn.execute("ALTER TABLE probe.child DROP CONSTRAINT amount_positive")
            assert diff(full, await snapshot(conn)) == [
                "constraints: probe.child.amount_positive is gone "
                "(was 'CHECK ((amount > (0)::numeric))')"
            ]
            await conn.execute("DROP SCHEMA probe CASCADE")
            assert diff(empty, await snapshot(conn)) == []
        finally:
            await conn.close()
    finally:
        drop_database(url)


async def test_a_column_dropped_and_added_again_keeps_its_place(conn):
    await conn.execute("CREATE TABLE probe_readd (id int, a int, b int)")
    try:
        before = await snapshot(conn)
        await conn.execute("ALTER TABLE probe_readd DROP COLUMN b")
        await conn.execute("ALTER TABLE probe_readd ADD COLUMN b int")
        assert diff(before, await snapshot(conn)) == []
        await conn.execute("ALTER TABLE probe_readd DROP COLUMN a")
        await conn.execute("ALTER TABLE probe_readd ADD COLUMN a int")
        assert diff(before, await snapshot(conn)) == [
            "columns: public.probe_readd.a changed from 'integer #2' to 'integer #3'",
            "columns: public.probe_readd.b changed from 'integer #3' to 'integer #2'",
        ]
    finally:
        await conn.execute("DROP TABLE probe_readd")


def test_piccolo_bookkeeping_is_not_the_projects():
    snap = {
        "relations": {"public.migration": "r", "public.companies": "r"},
        "indexes": {"public.migration_pkey": "x"},
    }
    assert without_piccolo(snap) == {"relations": {"public.companies": "r"}, "indexes": {}}
