"""One tenant's records of one entity, rendered as JSON fast enough to serve
100,000 of them.

Building a record from its schema costs ~100 µs and ``json.dumps`` of it
~30 µs, more than the cache spends storing it. So each entity gets a few
*variants*: whole records generated from the export schema (every property,
seeded by tenant and entity, some nullable ones null), serialised once into
a ``%``-format string whose only holes are the fields a version decides
(``id``, ``createdOn``, ``modifiedOn``, ``active``) and the references
(``relations.py``). A version picks a variant by its index and number, so a
changed record's content changes, and fills the holes: a few µs a record.
"""

from __future__ import annotations

import json
import random
import re
from operator import itemgetter

from servicetitan.fake.feeds import Version
from servicetitan.fake.moments import iso
from servicetitan.fake.relations import Relations, record_id
from servicetitan.fake.specs import Feed
from servicetitan.fake.values import record

VARIANTS = 16
NULLED = 0.2  # the share of nullable fields a variant leaves null
_HOLE = re.compile(r'"@@([\w.]+)@@"')


def _hole(path: str) -> str:
    return f"@@{path}@@"


def _variant(feed: Feed, holes: list[str], rng: random.Random) -> tuple[str, itemgetter]:
    """A record of ``feed``'s export schema as a ``%``-format string, and
    what picks the values of its holes in the order the format fills them."""
    schema = feed.schema("export")
    made = record(feed.spec_file, schema, rng)
    roots = {path.split(".")[0] for path in holes}
    for key, prop in schema["properties"].items():
        if prop.get("nullable") and key not in roots and rng.random() < NULLED:
            made[key] = None
    for path in holes:
        *parents, leaf = path.split(".")
        node = made
        for parent in parents:
            node = node[parent]
        node[leaf] = _hole(path)
    text = json.dumps(made, separators=(",", ":")).replace("%", "%%")
    return _HOLE.sub("%s", text), itemgetter(*_HOLE.findall(text))


def _json(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


class Templates:
    """The variants of one entity's records for one tenant."""

    def __init__(self, feed: Feed, relations: Relations, seed: str):
        self.entity = feed.entity
        self.relations = relations
        holes = ["id", "createdOn", "modifiedOn", "active"]
        holes += list(relations.references(feed.entity, 1))
        self.variants = [
            _variant(feed, holes, random.Random(f"{seed}:{feed.entity}:{n}"))
            for n in range(VARIANTS)
        ]

    def json(self, version: Version) -> str:
        """The version as the export feed sends it."""
        form, holes = self.variants[(version.index * 40_503 + version.number * 9_973) % VARIANTS]
        modified = f'"{iso(version.modified)}"'
        values = {
            path: _json(value)
            for path, value in self.relations.references(self.entity, version.index).items()
        }
        values["id"] = str(record_id(self.entity, version.index))
        values["modifiedOn"] = modified
        values["createdOn"] = (
            modified if version.created == version.modified else f'"{iso(version.created)}"'
        )
        values["active"] = "true" if version.active else "false"
        return form % holes(values)

    def record(self, version: Version) -> dict:
        return json.loads(self.json(version))
