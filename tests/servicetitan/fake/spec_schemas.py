"""Validation of JSON against the specs' schemas (servicetitan/fake/specs.json).

The specs are OpenAPI 3.0, whose schemas are JSON Schema but for
``nullable``; turned into draft 7 (``nullable`` as "or null", ``$ref``s to
``definitions``) they are checked by jsonschema-rs, formats included
(``date-time``, ``email``; the .NET ones such as ``int64`` or ``decimal``
are not JSON Schema formats and are ignored).
"""

from __future__ import annotations

from functools import cache

import jsonschema_rs

from servicetitan.fake.specs import REF, schemas


def _draft7(node):
    if isinstance(node, list):
        return [_draft7(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: value.replace(REF, "#/definitions/") if key == "$ref" else _draft7(value)
        for key, value in node.items()
        if key != "nullable"
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _validator(spec_file: str, name: str):
    root = {"$ref": f"#/definitions/{name}", "definitions": _draft7(schemas(spec_file))}
    return jsonschema_rs.Draft7Validator(root, validate_formats=True)


def problems(spec_file: str, name: str, instance) -> list[str]:
    """Why ``instance`` is not valid against schema ``name``; empty if it is."""
    return [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in _validator(spec_file, name).iter_errors(instance)
    ]
