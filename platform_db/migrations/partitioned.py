"""An index on a partitioned table, built without blocking its writers.

PostgreSQL refuses ``CREATE INDEX CONCURRENTLY`` on a partitioned table, and
a plain ``CREATE INDEX`` on it blocks writes to every partition for the whole
build. The way round, as PostgreSQL's manual gives it (CREATE INDEX, "Building
Indexes Concurrently" on partitioned tables): the index ``ON ONLY`` the
parent (INVALID, no data, a moment's lock), one index built concurrently per
partition, each attached to it; once every partition's is attached the
parent's index is valid, and a partition created later gets its own at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_db.migrations.names import identifier, split_table
from platform_db.migrations.online import ConcurrentIndex
from platform_db.migrations.runner import BOOKKEEPING
from platform_db.migrations.steps import OnlineDDLRefused, alone, own_session

PARTITIONS_SQL = BOOKKEEPING + """
SELECT format('%I.%I', n.nspname, c.relname) AS partition, c.relname AS name,
       c.relkind = 'p' AS partitioned,
       EXISTS (SELECT 1 FROM pg_inherits x
               JOIN pg_index i ON i.indexrelid = x.inhrelid AND i.indrelid = c.oid
               WHERE x.inhparent = to_regclass($2)) AS attached
FROM pg_inherits h
JOIN pg_class c ON c.oid = h.inhrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE h.inhparent = to_regclass($1)
ORDER BY c.relname
"""


@dataclass(frozen=True)
class PartitionedIndex:
    """``CREATE INDEX name ON table <definition>`` on a partitioned table,
    e.g. ``PartitionedIndex("messages_newest_idx", "public.messages",
    "(created_at DESC, id DESC)")``: ``ON ONLY`` the parent, then for each
    partition ``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` (an INVALID one a
    failed build left is dropped first) and ``ALTER INDEX ... ATTACH
    PARTITION``. Run again after a failure, it does only what is missing.
    Name it as Piccolo would (``PartitionedIndex.of_column``) when a table
    class declares it. A partition's index is named after the partition
    (``messages_2026_01_newest_idx``). Backwards drops the parent's index,
    which drops every partition's with it (PostgreSQL has no concurrent
    drop of a partitioned index: a moment's lock on each partition), and
    any partition's index a failed forwards left unattached."""

    name: str
    table: str
    definition: str
    unique: bool = False

    @classmethod
    def of_column(cls, table: str, column: str) -> PartitionedIndex:
        """The index ``index=True`` declares, named ``<table>_<column>``."""
        return cls(f"{split_table(table)[1]}_{column}", table, f"USING btree ({column})")

    @property
    def depends_on_data(self) -> str:
        return (
            f"PartitionedIndex {self.name} builds one index per partition of {self.table} "
            "(on the scratch database: the partitions its migrations made)"
        )

    @property
    def qualified_name(self) -> str:
        return f"{split_table(self.table)[0]}.{self.name}"

    @property
    def on_only(self) -> str:
        unique = "UNIQUE " if self.unique else ""
        # Squawk sees a CREATE INDEX without CONCURRENTLY; ON ONLY builds nothing.
        return (
            "-- squawk-ignore require-concurrent-index-creation\n"
            f"CREATE {unique}INDEX IF NOT EXISTS {self.name}\n"
            f"    ON ONLY {self.table} {self.definition}"
        )

    @property
    def backwards(self) -> str:
        return (
            "-- squawk-ignore require-concurrent-index-deletion\n"
            f"DROP INDEX IF EXISTS {self.qualified_name}"
        )

    def partition_index(self, partition: str, partition_name: str) -> ConcurrentIndex:
        table = split_table(self.table)[1]
        suffix = self.name[len(table) + 1 :] if self.name.startswith(table + "_") else self.name
        name = identifier(partition_name, suffix)
        return ConcurrentIndex(name, partition, self.definition, self.unique)

    def attach(self, index: ConcurrentIndex) -> str:
        return f"ALTER INDEX {self.qualified_name} ATTACH PARTITION {index.qualified_name}"

    async def _partitions(self, what: str) -> list:
        async with own_session(what) as (conn, _):
            return await conn.fetch(PARTITIONS_SQL, self.table, self.qualified_name)

    async def run_forwards(self) -> None:
        what = f"partitioned index {self.name}"
        await alone(self.on_only, what)
        partitions = await self._partitions(what)
        nested = [p["partition"] for p in partitions if p["partitioned"]]
        if nested:
            raise OnlineDDLRefused(
                f"{what}: {nested[0]} is partitioned itself; index it with a PartitionedIndex "
                "of its own first"
            )
        for partition in partitions:
            if partition["attached"]:
                continue
            index = self.partition_index(partition["partition"], partition["name"])
            await index.run_forwards()
            await alone(self.attach(index), f"ATTACH PARTITION {index.name}")

    async def run_backwards(self) -> None:
        what = f"DROP INDEX {self.name}"
        await alone(self.backwards, what)
        # A forwards that failed half way left partitions' indexes unattached.
        for partition in await self._partitions(what):
            index = self.partition_index(partition["partition"], partition["name"])
            await index.run_backwards()
