"""The Citus plan of docs/scaling.md, read from its tables, and what the
catalog says each table still lacks to be what the plan makes of it.

Citus cannot be installed here, so its rules are checked as Citus states
them (``create_distributed_table``, ``create_reference_table``,
src/backend/distributed/commands/foreign_constraint.c):

- a distributed table's distribution column exists, is NOT NULL (Citus
  refuses a row whose distribution value is NULL) and has its co-location
  group's type;
- its PRIMARY KEY, every UNIQUE and EXCLUDE constraint and every unique
  index include the distribution column;
- its foreign keys go to reference tables, or to a distributed table of its
  group with the distribution column at the same place on both sides;
- a foreign key that includes the distribution column has no ON DELETE SET
  NULL / SET DEFAULT clearing it, and no ON UPDATE CASCADE / SET NULL / SET
  DEFAULT;
- a reference table's foreign keys go to reference tables only; a local
  table's to local or reference tables;
- a trigger on a distributed or reference table runs on the shards
  (``citus.enable_unsafe_triggers``): its function must be one the plan
  lists as touching only the row it fires for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PLAN = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"

_ROW = re.compile(r"^\|(.+)\|\s*$")
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Planned:
    table: str  # schema.name
    role: str  # "distributed", "reference" or "local"
    column: str | None  # the distribution column
    group: str | None  # the co-location group
    ready: bool
    needs: frozenset[str]


@dataclass(frozen=True)
class Plan:
    tables: dict[str, Planned]
    group_types: dict[str, str]  # co-location group -> type of its column
    functions: dict[str, str]  # regprocedure -> what it is on Citus
    row_triggers: frozenset[str]  # trigger functions touching only their row


def _rows(text: str, header: str) -> list[list[str]]:
    """The body rows of the markdown table whose header row starts with ``header``."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if line.startswith(f"| {header} |"):
            rows = []
            for body in lines[start + 2:]:
                match = _ROW.match(body)
                if not match:
                    break
                rows.append([cell.strip() for cell in match.group(1).split("|")])
            return rows
    raise AssertionError(f"docs/scaling.md has no table headed '| {header} |'")


def _code(cell: str) -> str | None:
    match = _CODE.search(cell)
    return match.group(1) if match else None


def read_plan(path: Path = PLAN) -> Plan:
    text = path.read_text()
    tables = {}
    for table, role, group, _why, ready, needs in _rows(text, "Table"):
        name = _code(table)
        kind = role.split()[0]
        tables[name] = Planned(
            table=name,
            role=kind,
            column=_code(role) if kind == "distributed" else None,
            group=group or None,
            ready=ready == "yes",
            needs=frozenset(n.strip() for n in needs.split(";") if n.strip()),
        )
    groups = {group: _code(kind) for group, kind, _ in _rows(text, "Co-location group")}
    functions = {_code(fn): what for fn, what, _ in _rows(text, "Function")}
    row_triggers = frozenset(fn for fn, what in functions.items() if what.startswith("row trigger"))
    return Plan(tables, groups, functions, row_triggers)


CATALOG_SQL = """
SELECT format('%I.%I', n.nspname, c.relname) AS name, c.oid
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname IN ('public', 'raw')
ORDER BY 1
"""


async def catalog_tables(conn) -> dict[str, int]:
    return {row["name"]: row["oid"] for row in await conn.fetch(CATALOG_SQL)}


async def catalog_functions(conn) -> set[str]:
    rows = await conn.fetch(
        """
        SELECT p.oid::regprocedure::text AS name
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('public', 'raw')
        """
    )
    return {qualified(row["name"]) for row in rows}


def qualified(regprocedure: str) -> str:
    """A function as regprocedure prints it, with its schema even when public."""
    return regprocedure if "." in regprocedure.split("(")[0] else f"public.{regprocedure}"


async def _columns(conn, oid: int, attnums) -> list[str]:
    rows = await conn.fetch(
        "SELECT attnum, attname FROM pg_attribute WHERE attrelid = $1 AND attnum = ANY($2)",
        oid, list(attnums),
    )
    names = {row["attnum"]: row["attname"] for row in rows}
    return [names.get(n, "(expression)") for n in attnums]


async def gaps(conn, plan: Plan, table: str, oids: dict[str, int]) -> set[str]:
    """What ``table`` lacks to be what the plan makes of it (empty: ready)."""
    planned = plan.tables[table]
    oid = oids[table]
    found: set[str] = set()
    if planned.role == "distributed":
        found |= await _distribution_gaps(conn, plan, planned, oid)
    found |= await _foreign_key_gaps(conn, plan, planned, oid, oids)
    if planned.role in ("distributed", "reference"):
        for trigger in await conn.fetch(
            """
            SELECT t.tgname, t.tgfoid::regprocedure::text AS fn
            FROM pg_trigger t WHERE t.tgrelid = $1 AND NOT t.tgisinternal
            """,
            oid,
        ):
            fn = qualified(trigger["fn"])
            if fn not in plan.row_triggers:
                found.add(f"trigger {trigger['tgname']} runs {fn}, not a row trigger of the plan")
    return found


async def _distribution_gaps(conn, plan: Plan, planned: Planned, oid: int) -> set[str]:
    column = planned.column
    row = await conn.fetchrow(
        """
        SELECT attnum, attnotnull, format_type(atttypid, atttypmod) AS type
        FROM pg_attribute WHERE attrelid = $1 AND attname = $2 AND NOT attisdropped
        """,
        oid, column,
    )
    if row is None:
        return {f"no {column} column"}
    found = set()
    if not row["attnotnull"]:
        found.add(f"{column} may be NULL")
    wanted = plan.group_types[planned.group]
    if row["type"] != wanted:
        found.add(f"{column} is {row['type']}, its group's is {wanted}")
    for key in await conn.fetch(
        """
        SELECT coalesce(c.conname, i.indexrelid::regclass::text) AS name, c.contype::text,
               i.indkey::int2[] AS columns
        FROM pg_index i
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
        WHERE i.indrelid = $1 AND (i.indisunique OR c.contype = 'x')
        """,
        oid,
    ):
        if row["attnum"] in key["columns"]:
            continue
        names = ", ".join(await _columns(conn, oid, key["columns"]))
        if key["contype"] == "p":
            found.add(f"primary key ({names}) lacks {column}")
        else:
            found.add(f"unique {key['name']} ({names}) lacks {column}")
    return found


_SET_ACTIONS = {"n": "SET NULL", "d": "SET DEFAULT"}
_UPDATE_ACTIONS = {"c": "CASCADE", **_SET_ACTIONS}


async def _foreign_key_gaps(conn, plan, planned: Planned, oid: int, oids) -> set[str]:
    by_oid = {value: name for name, value in oids.items()}
    found = set()
    for fk in await conn.fetch(
        """
        SELECT conname, confrelid, conkey, confkey, confdeltype::text, confupdtype::text,
               confdelsetcols
        FROM pg_constraint WHERE conrelid = $1 AND contype = 'f' ORDER BY conname
        """,
        oid,
    ):
        target = plan.tables[by_oid[fk["confrelid"]]]
        name = fk["conname"]
        if planned.role == "reference" and target.role != "reference":
            found.add(f"foreign key {name} → {target.table}, a {target.role} table")
        elif planned.role == "local" and target.role == "distributed":
            found.add(f"foreign key {name} → {target.table}, a distributed table")
        elif planned.role == "distributed":
            found |= await _distributed_fk_gaps(conn, planned, target, fk, oid)
    return found


async def _distributed_fk_gaps(conn, planned: Planned, target: Planned, fk, oid) -> set[str]:
    name, column = fk["conname"], planned.column
    referencing = await _columns(conn, oid, fk["conkey"])
    if target.role == "local":
        return {f"foreign key {name} → {target.table}, a local table"}
    found = set()
    if target.role == "distributed":
        referenced = await _columns(conn, fk["confrelid"], fk["confkey"])
        if target.group != planned.group:
            return {f"foreign key {name} → {target.table}, not co-located"}
        on_both = column in referencing and referenced[referencing.index(column)] == target.column
        if not on_both:
            found.add(
                f"foreign key {name} ({', '.join(referencing)}) → {target.table} "
                f"({', '.join(referenced)}) lacks {column}"
            )
    if column in referencing:
        cleared = await _columns(conn, oid, fk["confdelsetcols"] or fk["conkey"])
        if fk["confdeltype"] in _SET_ACTIONS and column in cleared:
            found.add(f"foreign key {name}: ON DELETE {_SET_ACTIONS[fk['confdeltype']]} of {column}")
        if fk["confupdtype"] in _UPDATE_ACTIONS:
            found.add(f"foreign key {name}: ON UPDATE {_UPDATE_ACTIONS[fk['confupdtype']]} of {column}")
    return found
