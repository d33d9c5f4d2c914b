"""Names the migration helpers give what they create."""

from __future__ import annotations

import hashlib


def identifier(*parts: str) -> str:
    """A name of at most 63 bytes (PostgreSQL truncates longer ones)."""
    name = "_".join(parts)
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]


def split_table(table: str) -> tuple[str, str]:
    """(schema, name) of ``schema.name`` or ``name`` (public)."""
    schema, _, name = table.rpartition(".")
    return schema or "public", name
