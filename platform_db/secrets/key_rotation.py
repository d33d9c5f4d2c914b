"""Encrypted columns kept under the newest key of ``CREDENTIALS_ENCRYPTION_KEYS``.

A column of ciphertext holds a Fernet token: as it is in a ``text`` column
(after a fixed prefix, for piccolo_api's ``EncryptionProvider`` values such as
the admin's MFA secrets), as a JSON string in a ``json`` / ``jsonb`` one
(``encryption.encrypt_json``).

Every such column is declared once, on its table class (``EncryptedAtRest``:
``ENCRYPTED_COLUMNS``), and ``encrypted_tables()`` finds them all through
Piccolo's app registry: rotation and its check cover a new encrypted column
without a list to update.

``rotate_encryption`` re-encrypts each value under an old key (and encrypts
a JSON value found in plaintext) by a compare-and-set of that one value
(``WHERE id = $id AND column = <the value read>``): a value another instance
rewrote meanwhile is never overwritten, a write to one column of a row never
makes the rotation of another column miss, and a value that changed under
the rotation is read again and rotated in its turn. ``encryption_check``
counts, per column, the values not under the newest key: a rotation is done
when there are none, and only then may an old key go.

Rows are read in batches in primary-key order and each batch is written by
one statement, so nothing holds a large table in memory or locks it whole.
The same ``EncryptedColumn.rewrite`` encrypts and decrypts a column in a
data migration.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from platform_db.secrets import encryption
from platform_db.database.connection import connection
from platform_db.secrets.secret_columns import SecretsLeftOut

BATCH = 500
# A serial primary key is an integer in a cast (``$1::serial[]`` is no type).
SERIAL_TYPES = {"serial": "integer", "bigserial": "bigint"}
# Rounds of re-reading the values that changed under a rewrite; one changed
# more often than this is left as it is (for the check to report).
ATTEMPTS = 10


@dataclass(frozen=True)
class ColumnCheck:
    """Where one encrypted column stands."""

    column: str  # table.column
    values: int
    stale: int  # under an old key
    undecryptable: int  # under no configured key
    plaintext: int = 0  # JSON not encrypted at all


@dataclass(frozen=True)
class EncryptedColumn:
    """A column of ciphertext, by its SQL names (a migration has no table class)."""

    table: str  # schema.table
    column: str
    column_type: str = "text"  # or json / jsonb
    key: str = "id"
    key_type: str = "uuid"
    prefix: str = ""  # before the token in a text column, kept as it is

    @classmethod
    def of(cls, table_class, name: str) -> EncryptedColumn:
        column = table_class._meta.get_column_by_name(name)
        primary_key = table_class._meta.primary_key
        return cls(
            table=f"{table_class._meta.schema or 'public'}.{table_class._meta.tablename}",
            column=column._meta.db_column_name,
            column_type=column.column_type.lower(),
            key=primary_key._meta.db_column_name,
            key_type=SERIAL_TYPES.get(
                primary_key.column_type.lower(), primary_key.column_type.lower()
            ),
            prefix=getattr(table_class, "ENCRYPTION_PREFIX", ""),
        )

    @property
    def label(self) -> str:
        return f"{self.table.removeprefix('public.')}.{self.column}"

    def token(self, stored: str) -> str | None:
        """The Fernet token of a stored value, or None for plaintext JSON."""
        if self.column_type == "text":
            return stored.removeprefix(self.prefix)
        return encryption.json_token(stored)

    def _select(self, where: str) -> str:
        return (
            f'SELECT "{self.key}" AS id, "{self.column}"::text AS stored FROM {self.table} '
            f'WHERE "{self.column}" IS NOT NULL AND {where}'
        )

    async def batches(self, conn) -> AsyncIterator[dict]:
        """``{primary key: stored value as text}`` of every row, a batch at a time."""
        order = f'ORDER BY "{self.key}" LIMIT {BATCH}'
        first = f"{self._select('true')} {order}"
        following = self._select(f'"{self.key}" > $1') + f" {order}"
        rows = await conn.fetch(first)
        while rows:
            yield {r["id"]: r["stored"] for r in rows}
            rows = await conn.fetch(following, rows[-1]["id"])

    async def rewrite(self, conn, transform: Callable[[str], str | None]) -> int:
        """Store ``transform(value)`` in place of each value (None: leave it),
        by compare-and-set; how many values were replaced."""
        replaced = 0
        async for stored in self.batches(conn):
            pending = stored
            for _ in range(ATTEMPTS):
                new = {key: transform(value) for key, value in pending.items()}
                new = {key: value for key, value in new.items() if value is not None}
                if not new:
                    break
                written = await self._write(conn, {key: (pending[key], new[key]) for key in new})
                replaced += len(written)
                pending = await self._read_again(conn, new.keys() - written)
        return replaced

    async def _write(self, conn, changes: dict) -> set:
        """``changes``: key -> (value read, new value). The keys written."""
        keys = list(changes)
        rows = await conn.fetch(
            f"""
            UPDATE {self.table} AS t
            SET "{self.column}" = v.new::{self.column_type}
            FROM unnest($1::{self.key_type}[], $2::text[], $3::text[]) AS v (key, old, new)
            WHERE t."{self.key}" = v.key AND t."{self.column}" = v.old::{self.column_type}
            RETURNING t."{self.key}" AS key
            """,
            keys,
            [changes[k][0] for k in keys],
            [changes[k][1] for k in keys],
        )
        return {r["key"] for r in rows}

    async def _read_again(self, conn, keys) -> dict:
        """The values of ``keys`` now (those deleted meanwhile are gone)."""
        if not keys:
            return {}
        rows = await conn.fetch(
            self._select(f'"{self.key}" = ANY($1::{self.key_type}[])'), list(keys)
        )
        return {r["id"]: r["stored"] for r in rows}

    def rotated(self, stored: str) -> str | None:
        """The value under the newest key, or None if it is already."""
        token = self.token(stored)
        if token is None:
            return encryption.encrypt_json(stored)
        if encryption.is_current(token):
            return None
        new = encryption.rotate(token)
        return self.prefix + new if self.column_type == "text" else json.dumps(new)

    async def check(self, conn) -> ColumnCheck:
        values = stale = undecryptable = plaintext = 0
        async for stored in self.batches(conn):
            for value in stored.values():
                values += 1
                token = self.token(value)
                if token is None:
                    plaintext += 1
                    continue
                index = encryption.key_index(token)
                stale += bool(index)
                undecryptable += index is None
        return ColumnCheck(self.label, values, stale, undecryptable, plaintext)


class EncryptedAtRest(SecretsLeftOut):
    """Mixin for a table class whose ``ENCRYPTED_COLUMNS`` hold Fernet tokens
    (and are ``secret=True``): left out of ``select()`` unless asked for, and
    kept under the newest key."""

    ENCRYPTED_COLUMNS: tuple[str, ...] = ()
    # Written before each token of a text column (piccolo_api's providers
    # prefix what they encrypt with their name).
    ENCRYPTION_PREFIX: str = ""

    @classmethod
    async def rotate_encryption(cls) -> int:
        """Re-encrypt every value under an old key with the newest key; how
        many values were. ``DecryptionFailed`` if no configured key reads one."""
        rotated = 0
        async with connection(cls) as conn:
            for name in cls.ENCRYPTED_COLUMNS:
                column = EncryptedColumn.of(cls, name)
                rotated += await column.rewrite(conn, column.rotated)
        return rotated

    @classmethod
    async def encryption_check(cls) -> list[ColumnCheck]:
        """Each encrypted column's values, and how many are not under the newest key."""
        async with connection(cls) as conn:
            return [
                await EncryptedColumn.of(cls, name).check(conn) for name in cls.ENCRYPTED_COLUMNS
            ]


def encrypted_tables() -> list[type[EncryptedAtRest]]:
    """Every table class of the app registry with encrypted columns: the one
    list that rotation and its check walk."""
    from piccolo.conf.apps import Finder

    return [
        table
        for table in Finder().get_table_classes()
        if issubclass(table, EncryptedAtRest) and table.ENCRYPTED_COLUMNS
    ]
