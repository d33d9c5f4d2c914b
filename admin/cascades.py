"""What goes with a deleted row: the rows its ON DELETE CASCADE foreign
keys delete, table by table, as the database's catalog says (a foreign key
added by raw SQL counts too, such as ``messages`` → ``companies``).

A deletion that reaches a history (sync logs, sync runs, customers'
messages, an audit log) is refused by Piccolo Admin
(``refuse_history_deletes``); a superuser does it on the admin's own page
(``admin.pages``), which lists what goes with the row, counted, and asks for
a confirmation code before deleting.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.table import Table
from piccolo_api.crud.endpoints import PiccoloCRUD
from starlette.exceptions import HTTPException
from starlette.requests import Request

from platform_db.database.connection import connection

# Tables whose rows are a history: a deletion that reaches one is not an
# ordinary admin's click.
HISTORY = frozenset(
    {
        "public.servicetitan_sync_logs",
        "public.sync_runs",
        "public.messages",
        "public.audit_log",
        "public.admin_audit_log",
    }
)

_EDGES = """
SELECT format('%I.%I', cn.nspname, cc.relname) AS child,
       format('%I.%I', pn.nspname, pc.relname) AS parent,
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(k.conkey) WITH ORDINALITY AS u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
             ORDER BY u.i) AS child_columns,
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(k.confkey) WITH ORDINALITY AS u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
             ORDER BY u.i) AS parent_columns
FROM pg_constraint k
JOIN pg_class cc ON cc.oid = k.conrelid
JOIN pg_namespace cn ON cn.oid = cc.relnamespace
JOIN pg_class pc ON pc.oid = k.confrelid
JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE k.contype = 'f' AND k.confdeltype = 'c' AND k.conparentid = 0
"""


@dataclass(frozen=True)
class Edge:
    child: str
    parent: str
    child_columns: tuple[str, ...]
    parent_columns: tuple[str, ...]


def qualified(table: type[Table]) -> str:
    return f"{table._meta.schema or 'public'}.{table._meta.tablename}"


async def cascade_edges(conn) -> list[Edge]:
    return [
        Edge(r["child"], r["parent"], tuple(r["child_columns"]), tuple(r["parent_columns"]))
        for r in await conn.fetch(_EDGES)
    ]


def reached(root: str, edges: list[Edge]) -> list[str]:
    """The tables a deletion in ``root`` cascades into, nearest first."""
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop(0)
        for edge in edges:
            if edge.parent == parent and edge.child not in found and edge.child != root:
                found.append(edge.child)
                frontier.append(edge.child)
    return found


def _rows_of(table: str, root: str, key: str, edges: list[Edge], seen: tuple[str, ...]) -> str:
    """A WHERE condition selecting the rows of ``table`` that go when the
    row of ``root`` whose ``key`` is $1 goes."""
    if table == root:
        return f"{key} = $1"
    paths = []
    for edge in edges:
        if edge.child == table and edge.parent not in seen:
            if edge.parent != root and edge.parent not in reached(root, edges):
                continue
            parent_rows = _rows_of(edge.parent, root, key, edges, seen + (table,))
            paths.append(
                f"({', '.join(edge.child_columns)}) IN (SELECT {', '.join(edge.parent_columns)}"
                f" FROM {edge.parent} WHERE {parent_rows})"
            )
    return " OR ".join(paths) or "false"


@dataclass(frozen=True)
class Deletion:
    table: str
    row_id: str
    counts: list[tuple[str, int]]  # (table, rows that go), the row's own table first

    @property
    def history(self) -> list[tuple[str, int]]:
        return [(table, rows) for table, rows in self.counts if table in HISTORY and rows]

    def plan(self) -> str:
        return "; ".join(f"{table}: {rows}" for table, rows in self.counts)


async def deletion(conn, table: type[Table], row_id, lock: bool = False) -> Deletion:
    """What deleting the row ``row_id`` of ``table`` would delete, counted
    (``lock``: the row locked FOR UPDATE first, in the caller's transaction)."""
    root = qualified(table)
    key = f'"{table._meta.primary_key._meta.db_column_name}"'
    if lock:
        await conn.execute(f"SELECT FROM {root} WHERE {key} = $1 FOR UPDATE", row_id)
    edges = await cascade_edges(conn)
    counts = []
    for name in [root, *reached(root, edges)]:
        where = _rows_of(name, root, key, edges, ())
        counts.append(
            (name, await conn.fetchval(f"SELECT count(*) FROM {name} WHERE {where}", row_id))
        )
    return Deletion(root, str(row_id), counts)


async def reaches_history(table: type[Table]) -> list[str]:
    """The history tables a deletion in ``table`` cascades into."""
    async with connection(table) as conn:
        return [
            name for name in reached(qualified(table), await cascade_edges(conn)) if name in HISTORY
        ]


async def refuse_history_deletes(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    """Piccolo Admin's Delete (one row or many) of a table whose rows take a
    history with them: refused, pointing to the page that shows what goes."""
    table = piccolo_crud.table
    history = await reaches_history(table)
    if not history:
        return
    name = table._meta.tablename
    row = request.path_params.get("row_id", "<id>")
    raise HTTPException(
        status_code=403,
        detail=(
            f"Deleting a row of {name} deletes history with it ({', '.join(history)}): "
            f"a superuser does it on /inspect/delete/{name}/{row}/, which lists what goes "
            "with the row"
        ),
    )
