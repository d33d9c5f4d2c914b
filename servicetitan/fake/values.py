"""Values of the type and format a spec's schema gives, from a seeded random
generator: every property of an object schema, ``$ref`` and ``oneOf``
followed, enums picked from, arrays of two items.

Where a spec says only ``string`` but ServiceTitan sends something more
specific, the property's name decides: accounting's money fields are
decimal strings ("125.50"), as the cache must parse them.
"""

from __future__ import annotations

import random

from servicetitan.fake.specs import REF, schemas

DECIMAL_STRINGS = frozenset(
    {"subTotal", "salesTax", "total", "balance", "discountTotal", "quantity", "cost",
     "totalCost", "price", "memberPrice"}
)  # fmt: skip
DEPTH = 3


def _string(schema: dict, name: str, rng: random.Random) -> str:
    form = schema.get("format")
    if form == "date-time":
        return (
            f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00.{rng.randint(0, 9999999):07d}Z"
        )
    if form == "email":
        return f"user{rng.randint(1, 9999)}@example.com"
    if form == "phone":
        return f"555-01{rng.randint(0, 99):02d}"
    if form == "duration":
        return f"{rng.randint(6, 10):02d}:00:00"
    if form == "html":
        return f"<p>note {rng.randint(1, 999)}</p>"
    if name in DECIMAL_STRINGS:
        return f"{rng.uniform(0, 1000):.2f}"
    return f"text-{rng.randint(1, 999)}"


def value(spec_file: str, schema: dict, rng: random.Random, name: str = "", depth: int = 0):
    """A value of ``schema`` (of ``spec_file``'s components), for the
    property ``name``."""
    if "$ref" in schema:
        named = schemas(spec_file)[schema["$ref"].removeprefix(REF)]
        return value(spec_file, named, rng, name, depth)
    if "oneOf" in schema:
        return value(spec_file, schema["oneOf"][0], rng, name, depth)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type", "object")
    if kind == "integer":
        return rng.randint(1, 500) if schema.get("format") == "int32" else rng.randint(1, 100_000)
    if kind == "number":
        return round(rng.uniform(0, 1000), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        return _string(schema, name, rng)
    if kind == "array":
        items = schema.get("items", {})
        return (
            []
            if depth > DEPTH
            else [value(spec_file, items, rng, name, depth + 1) for _ in range(2)]
        )
    if depth > DEPTH:
        return {}
    return {
        key: value(spec_file, prop, rng, key, depth + 1)
        for key, prop in schema.get("properties", {}).items()
    }


def record(spec_file: str, schema: dict, rng: random.Random, only_required: bool = False) -> dict:
    """A record of an object ``schema``: every property (or only the
    required ones, the nullable among them null)."""
    made = {}
    for name, prop in schema["properties"].items():
        if only_required and name not in schema["required"]:
            continue
        nulled = only_required and prop.get("nullable")
        made[name] = None if nulled else value(spec_file, prop, rng, name)
    return made
