"""How ``piccolo platform check`` compares a database's schema with what its
migrations build, both described by ``platform_db.database.catalog``.

What is not drift:
- what PostgreSQL merely prints differently: an object may match what the
  migrations build either as built or after a ``pg_dump`` / ``pg_restore``
  round trip (``restored``), which re-parses a CHECK's ``IN (...)`` into
  ``ARRAY[(...)::text, ...]``;
- the monthly partitions of a partitioned table, made by maintenance: each
  range partition is named ``<parent>_<partition>`` and its bounds
  ``<range>``, so they are compared by shape, not by month; a partition's
  index made from its parent's is known by its parent index;
- a month detached and kept as a table (``maintain_partitions
  --keep_tables``): a plain table named like the partitions of a
  partitioned table (``messages_2025_12``) with their shape (columns,
  constraints, indexes, triggers) is the project's own, and said so
  (``kept_months``);
- the order of a table's columns: PostgreSQL adds a column last and cannot
  move it, so rolling back a ``drop_column`` or a ``ChangeColumnType`` leaves
  it elsewhere than a fresh build puts it. Said, not counted.
"""

from __future__ import annotations

import difflib
import re

from platform_db.database.catalog import Snapshot

_POSITION = re.compile(r" #(\d+)(?= \| |$)")
_INDEX_NAME = re.compile(r"^(CREATE (?:UNIQUE )?INDEX) \S+ ON (?:ONLY )?")


def normalised(snap: Snapshot, partitions, partition_indexes: dict[str, str]) -> Snapshot:
    """Owners left out; each range partition of a partitioned table named
    ``<parent>_<partition>`` and its bounds ``<range>``; a partition's index
    named after its parent index."""
    parents = {r["partition"].split(".", 1)[1]: r["parent"] for r in partitions}
    # One pass for every partition's name, longest first (a name may start
    # another's), qualified or not.
    names = re.compile(
        r"\b(?:[\w]+\.)?("
        + "|".join(re.escape(name) for name in sorted(parents, key=len, reverse=True))
        + ")"
    )

    def renamed(found: re.Match) -> str:
        parent = parents[found.group(1)]
        qualified = found.group(0) != found.group(1)
        return f"{parent if qualified else parent.split('.', 1)[1]}_<partition>"

    def rename(text: str) -> str:
        if parents:
            text = names.sub(renamed, text)
        return re.sub(r"FOR VALUES FROM \(.*?\) TO \(.*?\)$", "FOR VALUES <range>", text)

    def by_parent(key: str, value) -> tuple[str, str]:
        parent = partition_indexes.get(key)
        if parent is None:
            return key, str(value)
        name, parent_name = key.split(".", 1)[1], parent.split(" on ")[0].split(".", 1)[1]
        return parent, str(value).replace(f"INDEX {name} ", f"INDEX {parent_name} ")

    out: Snapshot = {}
    for kind, objects in snap.items():
        if kind == "schemas":
            out[kind] = {key: "" for key in objects}
            continue
        if kind == "indexes":
            objects = dict(by_parent(key, value) for key, value in objects.items())
        # The partitions of one table fall together: the set of what they hold.
        merged: dict[str, set] = {}
        for key, value in objects.items():
            merged.setdefault(rename(key), set()).add(rename(str(value)))
        out[kind] = {key: " | ".join(sorted(values)) for key, values in merged.items()}
    return out


def kept_months(
    live: Snapshot, built: Snapshot, partitions
) -> tuple[Snapshot, list[str], list[str]]:
    """``live`` without the months kept as tables, the note that names them,
    and a line for each table named like a kept month whose shape is not the
    partitions' (left in ``live``, so that its objects are reported too).
    ``partitions``: rows (partition, parent) of the live database."""
    patterns = {}
    for row in partitions:
        parent, partition = row["parent"], row["partition"]
        suffix = partition.split(".", 1)[1][len(parent.split(".", 1)[1]) + 1 :]
        shape = re.sub(r"\d", r"\\d", re.escape(suffix))
        patterns.setdefault(parent, set()).add(shape)
    kept, misshapen = [], []
    for table, value in sorted(live.get("relations", {}).items()):
        parent = next(
            (
                p
                for p, shapes in patterns.items()
                if value == "r" and any(re.fullmatch(f"{re.escape(p)}_{s}", table) for s in shapes)
            ),
            None,
        )
        if parent is None:
            continue
        differs = _shape_differences(_shape(live, table, f"{parent}_<partition>"), built, parent)
        if differs:
            misshapen.append(
                f"relations: {table} is named as a month of {parent} kept as a table, but its "
                f"shape is not that of {parent}'s partitions ({'; '.join(differs)})"
            )
        else:
            kept.append(table)
            live = _without(live, table)
    note = (
        [
            f"kept months, detached by `maintain_partitions --keep_tables` (shaped as their "
            f"table's partitions; the project's own, not drift): {', '.join(kept)}"
        ]
        if kept
        else []
    )
    return live, note, misshapen


def _owned(kind: str, key: str, value: str, table: str) -> bool:
    """Whether the object ``key`` of ``kind`` hangs on ``table``."""
    if kind in ("columns", "constraints", "triggers"):
        return key.startswith(table + ".")
    if kind == "indexes":
        return any(f" ON {table} " in part for part in value.split(" | "))
    return kind == "relations" and key == table


def _shape(snap: Snapshot, table: str, as_name: str) -> dict[str, set[str]]:
    """What hangs on ``table``, named as ``as_name``, index names and column
    positions left out."""
    name, new = table.split(".", 1)[1], as_name.split(".", 1)[1]

    def renamed(text: str) -> str:
        return re.sub(rf"\b{re.escape(name)}\b|\b{re.escape(name)}(?=_)", new, text)

    shape: dict[str, set[str]] = {}
    for kind in ("columns", "constraints", "indexes", "triggers"):
        for key, value in snap.get(kind, {}).items():
            for part in value.split(" | "):
                if not _owned(kind, key, part, table):
                    continue
                if kind == "indexes":
                    shape.setdefault(kind, set()).add(_INDEX_NAME.sub(r"\1 ON ", renamed(part)))
                else:
                    text = _POSITION.sub("", renamed(part))
                    shape.setdefault(kind, set()).add(f"{renamed(key)}: {text}")
    return shape


def _shape_differences(kept: dict[str, set[str]], built: Snapshot, parent: str) -> list[str]:
    partitions = _shape(built, f"{parent}_<partition>", f"{parent}_<partition>")
    out = []
    for kind in sorted(set(kept) | set(partitions)):
        extra = kept.get(kind, set()) - partitions.get(kind, set())
        missing = partitions.get(kind, set()) - kept.get(kind, set())
        if extra or missing:
            out.append(f"{kind}: {len(missing)} missing, {len(extra)} not in the partitions")
    return out


def _without(snap: Snapshot, table: str) -> Snapshot:
    return {
        kind: {k: v for k, v in objects.items() if not _owned(kind, k, str(v), table)}
        for kind, objects in snap.items()
    }


def compare(live: Snapshot, built: Snapshot, restored: Snapshot) -> list[str]:
    """Readable differences; an object matches what the migrations build as
    built or as restored from a dump. Column positions are left out (see
    ``column_order``)."""
    lines = []
    for kind in sorted(set(live) | set(built)):
        have, want, alt = live.get(kind, {}), built.get(kind, {}), restored.get(kind, {})
        if kind == "columns":
            have, want, alt = (
                {k: _POSITION.sub("", v) for k, v in s.items()} for s in (have, want, alt)
            )
        for key in sorted(set(have) | set(want)):
            if key not in have:
                lines.append(f"{kind}: {key} is missing (the migrations build {_short(want[key])})")
            elif key not in want:
                lines.append(f"{kind}: {key} is not built by any migration ({_short(have[key])})")
            elif have[key] not in (want[key], alt.get(key)):
                lines.append(f"{kind}: {key} differs:")
                lines += _diff(want[key], have[key])
    return lines


def column_order(live: Snapshot, built: Snapshot) -> list[str]:
    """A note per table whose columns are the same but in another order."""

    def orders(snap: Snapshot) -> dict[str, list[str]]:
        by_table: dict[str, list[tuple[int, str]]] = {}
        for key, value in snap.get("columns", {}).items():
            found = _POSITION.search(value)
            if found and " | " not in value:
                table, column = key.rsplit(".", 1)
                by_table.setdefault(table, []).append((int(found.group(1)), column))
        return {table: [c for _, c in sorted(columns)] for table, columns in by_table.items()}

    have, want = orders(live), orders(built)
    return [
        f"column order of {table} differs from what the migrations build, which is not drift "
        f"(a rolled-back drop_column or ChangeColumnType puts a column last; PostgreSQL cannot "
        f"move it): the migrations {', '.join(want[table])}; the database {', '.join(columns)}"
        for table, columns in sorted(have.items())
        if table in want and columns != want[table] and sorted(columns) == sorted(want[table])
    ]


def _short(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _diff(built: str, live: str) -> list[str]:
    built_lines, live_lines = str(built).splitlines(), str(live).splitlines()
    if len(built_lines) == 1 and len(live_lines) == 1:
        return [f"    the migrations: {built}", f"    the database:   {live}"]
    return [
        "    " + line.rstrip("\n")
        for line in difflib.unified_diff(
            built_lines, live_lines, "the migrations", "the database", lineterm="", n=1
        )
    ]
