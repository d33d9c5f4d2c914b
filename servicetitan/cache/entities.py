"""Which ServiceTitan entity a record is, told by its fields.

ServiceTitan's records carry no type. What tells a job from a location is
its shape: the OpenAPI specs (crm-v2, jpm-v2, dispatch-v2, settings-v2,
accounting-v2) list the fields of each entity's responses, and those its
list and export responses both require (``required``; the rest of its
fields are ``optional``). ``tests/servicetitan/test_entities.py`` derives
both from the specs again.

Two entities are told apart by the fields one requires and the other never
has (``telling``): a location requires ``customerId``, which no customer
has; a customer requires ``doNotMail``, which no location has. A record is
taken as entity E over entity F when it carries a larger share of E's
telling fields against F than of F's against E; it is E's record when no
other entity is taken over E and it carries at least one field that tells
E from some other. Keys count, null values included (real payloads send
nulls where the spec says required).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Entity:
    table: str
    name: str
    schema: str
    required: frozenset[str] = field(repr=False)
    fields: frozenset[str] = field(repr=False)

    @property
    def a(self) -> str:
        """The name with its article: "a job", "an appointment"."""
        return f"{'an' if self.name[0] in 'aeiou' else 'a'} {self.name}"

    @property
    def distinctive(self) -> frozenset[str]:
        """The fields that tell this entity from at least one other."""
        return _distinctive(self.table)

    @property
    def named_by(self) -> frozenset[str]:
        """The fields a message names for this entity: those no other entity
        has, if it has any (a location has none: a customer has each)."""
        return _own(self.table) or self.distinctive


def _listed(names, limit: int = 4) -> str:
    names = sorted(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _entity(table: str, name: str, schema: str, required, optional) -> Entity:
    return Entity(table, name, schema, frozenset(required), frozenset(required) | set(optional))


ENTITIES: dict[str, Entity] = {
    e.table: e
    for e in (
        _entity(
            "st_locations", "location", "crm-v2 Crm.V2.Locations.LocationResponse",
            required=(
            "active", "address", "createdById", "createdOn", "customFields",
            "customerId", "externalData", "id", "modifiedOn", "name", "tagTypeIds",
            "taxExempt",
            ),
            optional=(
            "mergedToId", "taxZoneId", "zoneId",
            ),
        ),
        _entity(
            "st_customers", "customer", "crm-v2 Crm.V2.Customers.CustomerResponse",
            required=(
            "active", "address", "balance", "createdById", "createdOn", "customFields",
            "doNotMail", "doNotService", "externalData", "id", "modifiedOn", "name",
            "nationalAccount", "tagTypeIds", "taxExempt", "type",
            ),
            optional=(
            "creditLimit", "creditLimitBalance", "mergedToId", "paymentTermId",
            ),
        ),
        _entity(
            "st_jobs", "job", "jpm-v2 Jpm.V2.JobResponse",
            required=(
            "appointmentCount", "businessUnitId", "campaignId", "createdById",
            "createdOn", "customFields", "customerId", "customerPo", "estimateIds",
            "externalData", "firstAppointmentId", "id", "invoiceId", "jobNumber",
            "jobStatus", "jobTypeId", "lastAppointmentId", "locationId", "modifiedOn",
            "noCharge", "notificationsEnabled", "priority", "tagTypeIds",
            ),
            optional=(
            "active", "bookingId", "completedOn", "createdFromEstimateId",
            "jobGeneratedLeadSource", "leadCallId", "membershipId", "partnerLeadCallId",
            "projectId", "recallForId", "soldById", "summary", "total", "warrantyId",
            ),
        ),
        _entity(
            "st_appointments", "appointment", "jpm-v2 Jpm.V2.AppointmentResponse",
            required=(
            "active", "createdById", "createdOn", "customerId", "end", "id",
            "isConfirmed", "jobId", "modifiedOn", "start", "status", "unused",
            ),
            optional=(
            "appointmentNumber", "arrivalWindowEnd", "arrivalWindowStart",
            "specialInstructions",
            ),
        ),
        _entity(
            "st_appointment_assignments", "appointment assignment",
            "dispatch-v2 Dispatch.V2.AppointmentAssignmentResponse",
            required=(
            "active", "appointmentId", "assignedById", "assignedOn", "createdOn", "id",
            "isPaused", "jobId", "modifiedOn", "status", "technicianId",
            "technicianName",
            ),
            optional=(),
        ),
        _entity(
            "st_technicians", "technician",
            "settings-v2 TenantSettings.V2.TechnicianResponse",
            required=(
            "active", "burdenRate", "commissionRate", "createdOn", "dailyGoal",
            "hourlyRate", "id", "isManagedTech", "modifiedOn", "name", "soldByRate",
            "status", "userId",
            ),
            optional=(
            "aadUserId", "accountLocked", "appoitmentId", "bio", "businessUnitId",
            "currentValue", "customFields", "email", "firstName", "home", "jobFilter",
            "jobId", "lastName", "licenseType", "location", "loginName", "mainZoneId",
            "memo", "mobilePhone", "outboundCallerId", "payrollId", "payrollProfileId",
            "permissions", "phoneNumber", "positions", "roleIds", "shiftEnd",
            "shiftStart", "skills", "startDate", "team", "zoneIds",
            ),
        ),
        _entity(
            "st_invoices", "invoice", "accounting-v2 Accounting.V2.InvoiceResponse",
            required=(
            "active", "createdOn", "id", "invoiceConfiguration", "reviewStatus",
            "sentStatus",
            ),
            optional=(
            "adjustmentToId", "assignedTo", "balance", "batch", "budgetCodeId",
            "businessUnit", "commissionEligibilityDate", "createdBy", "customFields",
            "customer", "customerAddress", "depositedOn", "discountTotal", "dueDate",
            "employeeInfo", "exportId", "importId", "invoiceDate", "invoiceType",
            "items", "job", "location", "locationAddress", "materialSkuId",
            "membershipId", "modifiedOn", "paidOn", "projectId", "referenceNumber",
            "royalty", "salesTax", "salesTaxCode", "subTotal", "summary", "syncStatus",
            "taxZoneId", "termName", "total",
            ),
        ),

    )
}  # fmt: skip


@cache
def telling(entity: str, other: str) -> frozenset[str]:
    """The fields ``entity`` requires that ``other`` never has."""
    return ENTITIES[entity].required - ENTITIES[other].fields


@cache
def _distinctive(table: str) -> frozenset[str]:
    return frozenset().union(*(telling(table, other) for other in ENTITIES if other != table))


@cache
def _own(table: str) -> frozenset[str]:
    others = (entity.fields for other, entity in ENTITIES.items() if other != table)
    return ENTITIES[table].required - frozenset().union(*others)


def _share(record: dict, fields: frozenset[str]) -> float:
    return sum(name in record for name in fields) / len(fields) if fields else 0.0


def _margin(record: dict, entity: str, other: str) -> float:
    """How much more ``record`` is ``entity`` than ``other`` (> 0: it is taken as ``entity``)."""
    return _share(record, telling(entity, other)) - _share(record, telling(other, entity))


def _taken_over(record: dict, table: str) -> list[tuple[float, Entity]]:
    """The entities ``record`` is taken as rather than ``table``'s, with their margins."""
    return [
        (margin, ENTITIES[other])
        for other in ENTITIES
        if other != table and (margin := _margin(record, other, table)) > 0
    ]


def entity_of(record: dict) -> Entity | None:
    """The entity ``record`` is taken as over every other; None if there is
    no such entity (no telling field at all, or an even mix of two)."""
    for table, entity in ENTITIES.items():
        if not _taken_over(record, table) and any(
            _margin(record, table, other) > 0 for other in ENTITIES if other != table
        ):
            return entity
    return None


def not_of(table: str, record: dict) -> str | None:
    """Why ``record`` is not a record of ``table``'s entity; None if it is
    (no other entity is taken over it, and it has a field that tells it
    from another)."""
    entity = ENTITIES[table]
    if entity.required <= record.keys():
        return None  # every required field: no other entity can be taken over it
    rivals = _taken_over(record, table)
    if not rivals:
        if not entity.distinctive.isdisjoint(record.keys()):
            return None
        return (
            f"is not {entity.a} record: it has none of the fields {entity.a} has in "
            f"{entity.schema} ({_listed(entity.named_by)})"
        )
    looks_like = entity_of(record) or max(rivals, key=lambda rival: rival[0])[1]
    return (
        f"is {looks_like.a}, not {entity.a}: it has "
        f"{_listed(telling(looks_like.table, table) & record.keys())}"
    )


def page_problem(table: str, records: list) -> str | None:
    """Why a page is not a page of ``table``'s entity: one of its records is
    another entity's, or none of them is of this entity; None if neither."""
    entity = ENTITIES[table]
    problems = [
        (
            not_of(table, record)
            if type(record) is dict
            else f"is {type(record).__name__}, not a JSON object"
        )
        for record in records
    ]
    for position, (record, why) in enumerate(zip(records, problems), start=1):
        # it looks more like another entity (not merely malformed: the upsert
        # rejects such a record alone)
        if why and type(record) is dict and entity_of(record) is not None:
            return f"record {position} {why}"
    if records and all(problems):
        return f"no record is {entity.a}: record 1 {problems[0]}"
    return None
