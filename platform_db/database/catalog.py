"""A snapshot of a database's schema objects, for proving that migrations
reverse exactly. Two snapshots compare equal or ``diff`` says how they differ.

Objects are described by what PostgreSQL prints for them (``format_type``,
``pg_get_constraintdef``, ``pg_get_indexdef``, ...), never by OIDs, so two
databases built the same way snapshot the same.
"""

from __future__ import annotations

from typing import Any

# Piccolo's own bookkeeping: it stays when every migration is reversed.
PICCOLO_OBJECTS = {"public.migration", "public.migration_id_seq", "public.migration_pkey"}

USER_SCHEMAS = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%'
    AND n.nspname NOT LIKE 'pg\\_temp%'
"""

QUERIES: dict[str, str] = {
    "schemas": f"""
        SELECT n.nspname AS key, pg_get_userbyid(n.nspowner) AS value
        FROM pg_namespace n WHERE {USER_SCHEMAS}
    """,
    "relations": f"""
        SELECT n.nspname || '.' || c.relname AS key,
               c.relkind::text
               || coalesce(' partition of ' || pn.nspname || '.' || p.relname, '')
               || coalesce(' ' || pg_get_expr(c.relpartbound, c.oid), '')
               || coalesce(' partitioned by ' || pg_get_partkeydef(c.oid), '') AS value
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
        LEFT JOIN pg_class p ON p.oid = i.inhparent
        LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {USER_SCHEMAS}
    """,
    "columns": f"""
        SELECT n.nspname || '.' || c.relname || '.' || a.attname AS key,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
               -- The position among live columns, not attnum: a column
               -- dropped and added again (a reversed add_column) keeps its place.
               || ' #' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS value
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_SCHEMAS}
    """,
    "constraints": f"""
        SELECT n.nspname || '.' || c.relname || '.' || con.conname AS key,
               pg_get_constraintdef(con.oid) AS value
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {USER_SCHEMAS}
    """,
    "indexes": f"""
        SELECT n.nspname || '.' || ic.relname AS key, pg_get_indexdef(ic.oid) AS value
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ic.relnamespace
        WHERE {USER_SCHEMAS}
    """,
    "views": f"""
        SELECT n.nspname || '.' || c.relname AS key, pg_get_viewdef(c.oid) AS value
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {USER_SCHEMAS}
    """,
    "functions": f"""
        SELECT n.nspname || '.' || p.proname
               || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
               pg_get_function_result(p.oid)
               || ' ' || l.lanname
               || ' ' || md5(p.prosrc)
               || coalesce(' ' || array_to_string(p.proconfig, ','), '') AS value
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_language l ON l.oid = p.prolang
        WHERE {USER_SCHEMAS}
    """,
    "triggers": f"""
        SELECT n.nspname || '.' || c.relname || '.' || t.tgname AS key,
               pg_get_triggerdef(t.oid) AS value
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND {USER_SCHEMAS}
    """,
    "types": f"""
        SELECT n.nspname || '.' || t.typname AS key,
               t.typtype::text || coalesce(' ' || (
                   SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                   FROM pg_enum e WHERE e.enumtypid = t.oid
               ), '') AS value
        FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'c', 'r')
          AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
          AND {USER_SCHEMAS}
    """,
    "extensions": """
        SELECT extname AS key, extversion AS value FROM pg_extension
    """,
}

Snapshot = dict[str, dict[str, Any]]


async def snapshot(connection, queries: dict[str, str] = QUERIES) -> Snapshot:
    """Every schema object of the database ``connection`` (asyncpg) is on."""
    result: Snapshot = {}
    for kind, sql in queries.items():
        rows = await connection.fetch(sql)
        result[kind] = {row["key"]: row["value"] for row in rows}
    return result


def without_piccolo(snap: Snapshot) -> Snapshot:
    """The snapshot without Piccolo's ``migration`` table and what hangs on it."""

    def ours(key: str) -> bool:
        return not any(key == obj or key.startswith(obj + ".") for obj in PICCOLO_OBJECTS)

    return {kind: {k: v for k, v in objs.items() if ours(k)} for kind, objs in snap.items()}


def diff(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences; empty when the snapshots are equal."""
    lines = []
    for kind in sorted(set(before) | set(after)):
        old, new = before.get(kind, {}), after.get(kind, {})
        for key in sorted(set(old) | set(new)):
            if key not in new:
                lines.append(f"{kind}: {key} is gone (was {old[key]!r})")
            elif key not in old:
                lines.append(f"{kind}: {key} is new ({new[key]!r})")
            elif old[key] != new[key]:
                lines.append(f"{kind}: {key} changed from {old[key]!r} to {new[key]!r}")
    return lines
