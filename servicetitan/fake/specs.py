"""ServiceTitan's OpenAPI specs, as much of them as the fake serves.

``specs.json`` holds, per spec file (crm-v2, jpm-v2, dispatch-v2,
settings-v2, accounting-v2): the module prefix of its server
(``/crm/v2``), the GET paths the fake serves with the schema each answers,
and those schemas with every schema they refer to (descriptions dropped).
The specs themselves are not in this repository; refresh the extract with
``python -m servicetitan.fake.specs /path/to/servicetitan-openapi``.

Which entities the fake serves, and from which paths, is the one table
written by hand (``FEEDS``); every record shape comes from the extract.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

EXTRACT = Path(__file__).with_name("specs.json")
REF = "#/components/schemas/"
TENANT = "/tenant/{tenant}/"

# entity (as the cache names it: raw.st_<entity>) -> (spec file, export
# path, list path), paths relative to /tenant/{tenant}/ as the specs have them
FEEDS = {
    "locations": ("crm-v2.json", "export/locations", "locations"),
    "customers": ("crm-v2.json", "export/customers", "customers"),
    "jobs": ("jpm-v2.json", "export/jobs", "jobs"),
    "appointments": ("jpm-v2.json", "export/appointments", "appointments"),
    "appointment_assignments": (
        "dispatch-v2.json",
        "export/appointment-assignments",
        "appointment-assignments",
    ),
    "technicians": ("settings-v2.json", "export/technicians", "technicians"),
    "invoices": ("accounting-v2.json", "export/invoices", "invoices"),
}

# Every error answer of the API, in each spec's components.
ERROR_SCHEMA = "ApiErrorResponse"


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value.removeprefix(REF)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _without_descriptions(node):
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def _served_paths(spec_file: str) -> list[str]:
    paths = []
    for name, (file, export, listed) in FEEDS.items():
        if file == spec_file:
            paths += [TENANT + export, TENANT + listed, TENANT + listed + "/{id}"]
    return paths


def extract(spec_dir: Path) -> dict:
    """What the fake serves of each spec: its module prefix, the GET paths
    (those of ``FEEDS`` the spec has) with their 200 answer's schema, and
    the schemas, with all they refer to."""
    found = {}
    for spec_file in sorted({file for file, *_ in FEEDS.values()}):
        spec = json.loads((spec_dir / spec_file).read_text())
        schemas = spec["components"]["schemas"]
        paths = {}
        for path in _served_paths(spec_file):
            get = spec["paths"].get(path, {}).get("get")
            if get:
                answer = get["responses"]["200"]["content"]["application/json"]["schema"]
                paths[path] = answer["$ref"].removeprefix(REF)
        kept, pending = {}, [*paths.values(), ERROR_SCHEMA]
        while pending:
            name = pending.pop()
            if name not in kept:
                kept[name] = _without_descriptions(schemas[name])
                pending += list(_refs(schemas[name]))
        found[spec_file] = {
            "module": urlsplit(spec["servers"][0]["url"]).path,
            "paths": paths,
            "schemas": kept,
        }
    return found


@cache
def extracted() -> dict:
    """``specs.json``: per spec file, its ``module``, ``paths`` and ``schemas``."""
    return json.loads(EXTRACT.read_text())


def schemas(spec_file: str) -> dict:
    """The schemas of a spec file, by name."""
    return extracted()[spec_file]["schemas"]


def _items(spec_file: str, envelope: str) -> str:
    return schemas(spec_file)[envelope]["properties"]["data"]["items"]["$ref"].removeprefix(REF)


@dataclass(frozen=True)
class Feed:
    """One entity the fake serves: its export feed, its list endpoint and,
    where the spec has one, the GET of one record; each path in full
    (``/jpm/v2/tenant/{tenant}/export/jobs``), with the schemas it answers."""

    entity: str
    spec_file: str
    export_path: str
    list_path: str
    record_path: str | None
    export_envelope: str
    list_envelope: str

    @property
    def export_schema(self) -> str:
        return _items(self.spec_file, self.export_envelope)

    @property
    def list_schema(self) -> str:
        return _items(self.spec_file, self.list_envelope)

    def schema(self, kind: str = "export") -> dict:
        """The record schema of the export feed, or of the list (``"list"``)."""
        name = self.export_schema if kind == "export" else self.list_schema
        return schemas(self.spec_file)[name]


def _feed(entity: str) -> Feed:
    spec_file, export, listed = FEEDS[entity]
    spec = extracted()[spec_file]
    record = TENANT + listed + "/{id}"
    return Feed(
        entity=entity,
        spec_file=spec_file,
        export_path=spec["module"] + TENANT + export,
        list_path=spec["module"] + TENANT + listed,
        record_path=spec["module"] + record if record in spec["paths"] else None,
        export_envelope=spec["paths"][TENANT + export],
        list_envelope=spec["paths"][TENANT + listed],
    )


@cache
def feeds() -> dict[str, Feed]:
    """Every entity the fake serves, by name."""
    return {entity: _feed(entity) for entity in FEEDS}


if __name__ == "__main__":
    EXTRACT.write_text(json.dumps(extract(Path(sys.argv[1])), indent=1, sort_keys=True) + "\n")
