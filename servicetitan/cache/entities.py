"""Which ServiceTitan entity a record is, told by its fields.

ServiceTitan's records carry no type. What tells a job from a location is
its shape: the OpenAPI specs (crm-v2, jpm-v2, dispatch-v2, settings-v2)
list the fields each response requires. An entity's *identifying fields*
are those its list and export responses both require and that no other
cached entity has at all (``tests/servicetitan/test_entities.py`` derives
them from the specs again). A record is taken as the entity whose
identifying fields it carries the largest share of, present as keys (null
values count: real payloads send nulls where the spec says required).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    table: str
    name: str
    schema: str
    identifying: frozenset[str]

    @property
    def a(self) -> str:
        """The name with its article: "a job", "an appointment"."""
        return f"{'an' if self.name[0] in 'aeiou' else 'a'} {self.name}"

    def share(self, record: dict) -> float:
        return sum(field in record for field in self.identifying) / len(self.identifying)


def _listed(names, limit: int = 4) -> str:
    names = sorted(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _entity(table: str, name: str, schema: str, *identifying: str) -> Entity:
    return Entity(table, name, schema, frozenset(identifying))


ENTITIES: dict[str, Entity] = {
    e.table: e
    for e in (
        _entity(
            "st_locations", "location", "crm-v2 Crm.V2.Locations.LocationResponse",
            "address", "taxExempt",
        ),
        _entity(
            "st_jobs", "job", "jpm-v2 Jpm.V2.JobResponse",
            "jobNumber", "locationId", "jobStatus", "jobTypeId", "priority", "campaignId",
            "appointmentCount", "firstAppointmentId", "lastAppointmentId", "noCharge",
            "notificationsEnabled", "customerPo", "invoiceId", "estimateIds",
        ),
        _entity(
            "st_appointments", "appointment", "jpm-v2 Jpm.V2.AppointmentResponse",
            "start", "end", "unused", "isConfirmed",
        ),
        _entity(
            "st_appointment_assignments", "appointment assignment",
            "dispatch-v2 Dispatch.V2.AppointmentAssignmentResponse",
            "technicianId", "technicianName", "assignedById", "assignedOn", "isPaused",
            "appointmentId",
        ),
        _entity(
            "st_technicians", "technician", "settings-v2 TenantSettings.V2.TechnicianResponse",
            "userId", "dailyGoal", "isManagedTech", "burdenRate", "commissionRate",
            "hourlyRate", "soldByRate",
        ),
    )
}  # fmt: skip


def entity_of(record: dict) -> Entity | None:
    """The entity ``record`` looks like most; None if it has no identifying
    field of any."""
    best, best_share = None, 0.0
    for entity in ENTITIES.values():
        share = entity.share(record)
        if share > best_share:
            best, best_share = entity, share
    return best


def not_of(table: str, record: dict) -> str | None:
    """Why ``record`` is not a record of ``table``'s entity; None if it is
    (it has that entity's identifying fields at least as much as any
    other's)."""
    entity = ENTITIES[table]
    if entity.identifying <= record.keys():
        return None  # every identifying field: no other entity can do better
    mine = entity.share(record)
    looks_like = entity_of(record)
    if mine and looks_like.share(record) <= mine:
        return None
    if looks_like is None:
        return (
            f"is not {entity.a} record: it has none of the fields {entity.a} has in "
            f"{entity.schema} ({_listed(entity.identifying)})"
        )
    return (
        f"is {looks_like.a}, not {entity.a}: it has "
        f"{_listed(looks_like.identifying & record.keys())}"
    )


def page_problem(table: str, records: list) -> str | None:
    """Why a page is not a page of ``table``'s entity: one of its records is
    another entity's, or none of them is of this entity; None if neither."""
    entity = ENTITIES[table]
    for position, record in enumerate(records, start=1):
        if type(record) is dict and entity_of(record) is not None:
            why = not_of(table, record)
            if why:  # it looks more like another entity
                return f"record {position} {why}"
    if records and all(type(r) is not dict or not_of(table, r) for r in records):
        first = records[0]
        why = (
            not_of(table, first) if type(first) is dict
            else f"is {type(first).__name__}, not a JSON object"
        )
        return f"no record is {entity.a}: record 1 {why}"
    return None
