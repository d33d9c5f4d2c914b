"""ServiceTitan-shaped records and pages, made from ServiceTitan's own OpenAPI
specs: every property of an entity's response schema, each value of the
type and format the spec gives it.

``openapi_schemas.json`` holds the schemas of the cached entities (list and
export responses, their envelopes, and every schema they refer to), taken
from the specs ServiceTitan publishes (crm-v2, jpm-v2, dispatch-v2,
settings-v2, accounting-v2). Refresh it with
``python -m tests.servicetitan.openapi /path/to/servicetitan-openapi``.
"""

from __future__ import annotations

import json
import random
import sys
from functools import cache
from pathlib import Path

EXTRACT = Path(__file__).with_name("openapi_schemas.json")

# cache table -> (spec file, list response schema, export response schema,
#                 list envelope, export envelope)
SCHEMAS = {
    "st_locations": (
        "crm-v2.json",
        "Crm.V2.Locations.LocationResponse",
        "Crm.V2.ExportLocationsResponse",
        "PaginatedResponse_Of_Crm.V2.Locations.LocationResponse",
        "ExportResponse_Of_Crm.V2.ExportLocationsResponse",
    ),
    "st_jobs": (
        "jpm-v2.json",
        "Jpm.V2.JobResponse",
        "Jpm.V2.ExportJobsResponse",
        "PaginatedResponse_Of_Jpm.V2.JobResponse",
        "ExportResponse_Of_Jpm.V2.ExportJobsResponse",
    ),
    "st_customers": (
        "crm-v2.json",
        "Crm.V2.Customers.CustomerResponse",
        "Crm.V2.ExportCustomerResponse",
        "PaginatedResponse_Of_Crm.V2.Customers.CustomerResponse",
        "ExportResponse_Of_Crm.V2.ExportCustomerResponse",
    ),
    "st_appointments": (
        "jpm-v2.json",
        "Jpm.V2.AppointmentResponse",
        "Jpm.V2.ExportAppointmentsResponse",
        "PaginatedResponse_Of_Jpm.V2.AppointmentResponse",
        "ExportResponse_Of_Jpm.V2.ExportAppointmentsResponse",
    ),
    "st_appointment_assignments": (
        "dispatch-v2.json",
        "Dispatch.V2.AppointmentAssignmentResponse",
        "Dispatch.V2.ExportAppointmentAssignmentsResponse",
        "PaginatedResponse_Of_Dispatch.V2.AppointmentAssignmentResponse",
        "ExportResponse_Of_Dispatch.V2.ExportAppointmentAssignmentsResponse",
    ),
    "st_technicians": (
        "settings-v2.json",
        "TenantSettings.V2.TechnicianResponse",
        "TenantSettings.V2.ExportTechnicianResponse",
        "PaginatedResponse_Of_TenantSettings.V2.TechnicianResponse",
        "ExportResponse_Of_TenantSettings.V2.ExportTechnicianResponse",
    ),
    "st_invoices": (
        "accounting-v2.json",
        "Accounting.V2.InvoiceResponse",
        "Accounting.V2.ExportInvoiceResponse",
        "PaginatedResponse_Of_Accounting.V2.InvoiceResponse",
        "ExportResponse_Of_Accounting.V2.ExportInvoiceResponse",
    ),
}

REF = "#/components/schemas/"


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


def extract(spec_dir: Path) -> dict:
    """The schemas the tests use, with all they refer to, per spec file."""
    found: dict[str, dict] = {}
    for spec_file, *names in SCHEMAS.values():
        schemas = json.loads((spec_dir / spec_file).read_text())["components"]["schemas"]
        kept = found.setdefault(spec_file, {})
        pending = list(names)
        while pending:
            name = pending.pop()
            if name not in kept:
                kept[name] = _without_descriptions(schemas[name])
                pending += list(_refs(schemas[name]))
    return found


@cache
def schemas(spec_file: str) -> dict:
    return json.loads(EXTRACT.read_text())[spec_file]


def response_schema(table: str, kind: str = "list") -> dict:
    spec_file, list_schema, export_schema, *_ = SCHEMAS[table]
    return schemas(spec_file)[list_schema if kind == "list" else export_schema]


def required_fields(table: str) -> set[str]:
    """What both the list and the export response require."""
    return set(response_schema(table, "list")["required"]) & set(
        response_schema(table, "export")["required"]
    )


def properties(table: str) -> set[str]:
    return set(response_schema(table, "list")["properties"]) | set(
        response_schema(table, "export")["properties"]
    )


# accounting's money fields: the spec says string, ServiceTitan sends "125.50"
DECIMAL_STRINGS = frozenset({"subTotal", "salesTax", "total", "balance", "discountTotal"})


def _value(spec_file: str, schema: dict, rng: random.Random, depth: int, name: str = ""):
    if "$ref" in schema:
        named = schemas(spec_file)[schema["$ref"].removeprefix(REF)]
        return _value(spec_file, named, rng, depth, name)
    if "oneOf" in schema:
        return _value(spec_file, schema["oneOf"][0], rng, depth, name)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type", "object")
    if kind == "integer":
        return rng.randint(1, 100_000) if schema.get("format") != "int32" else rng.randint(1, 500)
    if kind == "number":
        return round(rng.uniform(0, 1000), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        if schema.get("format") == "date-time":
            return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00.1234567Z"
        if schema.get("format") == "date":
            return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if name in DECIMAL_STRINGS:
            return f"{rng.uniform(0, 1000):.2f}"
        return f"text-{rng.randint(1, 999)}"
    if kind == "array":
        if depth > 3:
            return []
        return [_value(spec_file, schema.get("items", {}), rng, depth + 1) for _ in range(2)]
    if depth > 3:
        return {}
    return {
        key: _value(spec_file, prop, rng, depth + 1, key)
        for key, prop in schema.get("properties", {}).items()
    }


def record(table: str, record_id: int, kind: str = "list", seed: int = 0, only_required=False):
    """A record of ``table``'s entity as ServiceTitan sends it: every property
    of the response schema (or only its required ones, nullable ones null)."""
    spec_file = SCHEMAS[table][0]
    schema = response_schema(table, kind)
    rng = random.Random(f"{table}-{record_id}-{seed}")
    made = {}
    for name, prop in schema["properties"].items():
        if only_required and name not in schema["required"]:
            continue
        made[name] = None if only_required and prop.get("nullable") else _value(
            spec_file, prop, rng, 0, name
        )
    made["id"] = record_id
    return made


def list_page(table: str, ids, page: int = 1, has_more: bool = False) -> dict:
    records = [record(table, i, "list") for i in ids]
    return {"page": page, "pageSize": 50, "hasMore": has_more, "totalCount": None, "data": records}


def export_page(table: str, ids, has_more: bool = False) -> dict:
    records = [record(table, i, "export") for i in ids]
    return {"hasMore": has_more, "continueFrom": "token", "data": records}


if __name__ == "__main__":
    EXTRACT.write_text(json.dumps(extract(Path(sys.argv[1])), indent=1, sort_keys=True) + "\n")
