"""Encrypted columns kept under the newest key of ``CREDENTIALS_ENCRYPTION_KEYS``.

``rotate_encryption`` re-encrypts each value under an old key by a
compare-and-set of that one value (``WHERE id = $id AND column = <the
ciphertext read>``): a value another instance rewrote meanwhile is never
overwritten, a write to one column of a row never makes the rotation of
another column miss, and a value that changed under the rotation is read
again and rotated in its turn. ``encryption_check`` counts, per column, the
values still under an old key and those no configured key decrypts: a
rotation is done when both are 0, and only then may an old key go.

Rows are read in batches in primary-key order and each batch is written by
one statement, so neither holds a large table in memory or locks it whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from platform_db import encryption
from platform_db.connection import connection

BATCH = 500
# Rounds of re-reading the values that changed under the rotation; one
# rewritten under an old key more often than this is left for the check.
ATTEMPTS = 10


@dataclass(frozen=True)
class ColumnCheck:
    """Where one encrypted column stands."""

    column: str  # table.column
    values: int
    stale: int  # under an old key
    undecryptable: int  # under no configured key


class EncryptedAtRest:
    """Mixin for a table class whose ``ENCRYPTED_COLUMNS`` hold Fernet tokens."""

    ENCRYPTED_COLUMNS: tuple[str, ...] = ()

    @classmethod
    async def rotate_encryption(cls) -> int:
        """Re-encrypt every value under an old key with the newest key; how
        many values were. ``DecryptionFailed`` if no configured key reads one."""
        return sum([await _Column(cls, name).rotate() for name in cls.ENCRYPTED_COLUMNS])

    @classmethod
    async def encryption_check(cls) -> list[ColumnCheck]:
        """Each encrypted column's values, and how many are not under the newest key."""
        return [await _Column(cls, name).check() for name in cls.ENCRYPTED_COLUMNS]


class _Column:
    def __init__(self, table, name: str):
        column = table._meta.get_column_by_name(name)
        primary_key = table._meta.primary_key
        self.table = table
        self.label = f"{table._meta.tablename}.{column._meta.db_column_name}"
        self.relation = table._meta.get_formatted_tablename()
        self.column = f'"{column._meta.db_column_name}"'
        self.key = f'"{primary_key._meta.db_column_name}"'
        self.key_type = primary_key.column_type

    def _select(self, where: str) -> str:
        return (
            f"SELECT {self.key} AS id, {self.column} AS token FROM {self.relation} "
            f"WHERE {self.column} IS NOT NULL AND {where}"
        )

    async def _batches(self, conn) -> AsyncIterator[dict]:
        """``{primary key: ciphertext}`` of every value, a batch at a time."""
        first = self._select("true") + f" ORDER BY {self.key} LIMIT {BATCH}"
        following = self._select(f"{self.key} > $1") + f" ORDER BY {self.key} LIMIT {BATCH}"
        rows = await conn.fetch(first)
        while rows:
            yield {r["id"]: r["token"] for r in rows}
            rows = await conn.fetch(following, rows[-1]["id"])

    async def rotate(self) -> int:
        rotated = 0
        async with connection(self.table) as conn:
            async for tokens in self._batches(conn):
                stale = _stale(tokens)
                for _ in range(ATTEMPTS):
                    if not stale:
                        break
                    written = await self._write(conn, stale)
                    rotated += len(written)
                    stale = await self._read_again(conn, stale.keys() - written)
        return rotated

    async def _write(self, conn, stale: dict) -> set:
        """Compare-and-set each value; the keys of those written."""
        ids = list(stale)
        old = [stale[i] for i in ids]
        new = [encryption.rotate(token) for token in old]
        rows = await conn.fetch(
            f"""
            UPDATE {self.relation} AS t
            SET {self.column} = v.new
            FROM unnest($1::{self.key_type}[], $2::text[], $3::text[]) AS v (id, old, new)
            WHERE t.{self.key} = v.id AND t.{self.column} = v.old
            RETURNING t.{self.key} AS id
            """,
            ids,
            old,
            new,
        )
        return {r["id"] for r in rows}

    async def _read_again(self, conn, ids) -> dict:
        """The values that changed under the rotation and are still stale."""
        if not ids:
            return {}
        rows = await conn.fetch(
            self._select(f"{self.key} = ANY($1::{self.key_type}[])"), list(ids)
        )
        return _stale({r["id"]: r["token"] for r in rows})

    async def check(self) -> ColumnCheck:
        values = stale = undecryptable = 0
        async with connection(self.table) as conn:
            async for tokens in self._batches(conn):
                for token in tokens.values():
                    index = encryption.key_index(token)
                    values += 1
                    stale += bool(index)
                    undecryptable += index is None
        return ColumnCheck(self.label, values, stale, undecryptable)


def _stale(tokens: dict) -> dict:
    return {key: token for key, token in tokens.items() if not encryption.is_current(token)}
