"""How one tenant's records point at each other, from their indexes alone.

Each entity's ids are its own range (``BASE`` + index), so an id told the
wrong entity's field does not pass unnoticed. A location belongs to a
customer, a job to a location (and its customer), an appointment to a job,
an assignment to an appointment (its job) and a technician, an invoice to a
job (its customer and location). References are computed with the counts
the tenant started with, so records added later point at those and no
existing record's references ever change.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = {
    "customers": 1_000_000,
    "locations": 2_000_000,
    "jobs": 10_000_000,
    "appointments": 20_000_000,
    "appointment_assignments": 30_000_000,
    "technicians": 50_000,
    "invoices": 40_000_000,
}
NAMED = {"customers": "Customer", "locations": "Location", "technicians": "Technician"}


def record_id(entity: str, index: int) -> int:
    return BASE[entity] + index


def index_of(entity: str, record_id: int) -> int:
    """The index of ``record_id`` (not necessarily an existing one)."""
    return record_id - BASE[entity]


def name(entity: str, index: int) -> str:
    return f"{NAMED[entity]} {record_id(entity, index)}"


@dataclass(frozen=True)
class Relations:
    counts: dict[str, int]

    def _of(self, entity: str, index: int) -> int:
        """The index of the ``entity`` record that record ``index`` points at."""
        return (index - 1) % max(self.counts[entity], 1) + 1

    def customer_of_location(self, index: int) -> int:
        return self._of("customers", index)

    def location_of_job(self, index: int) -> int:
        return self._of("locations", index)

    def job_of_appointment(self, index: int) -> int:
        return self._of("jobs", index)

    def references(self, entity: str, index: int) -> dict[str, int | str]:
        """The fields of record ``index`` of ``entity`` that name another
        record (``customer.id`` for a nested one), with their values."""
        if entity in NAMED:
            refs = {"name": name(entity, index)}
        else:
            refs = {}
        if entity == "locations":
            refs["customerId"] = record_id("customers", self.customer_of_location(index))
        elif entity == "jobs":
            location = self.location_of_job(index)
            refs |= {
                "jobNumber": str(record_id("jobs", index)),
                "customerId": record_id("customers", self.customer_of_location(location)),
                "locationId": record_id("locations", location),
            }
        elif entity == "appointments":
            job = self.job_of_appointment(index)
            refs |= {
                "jobId": record_id("jobs", job),
                "customerId": self.references("jobs", job)["customerId"],
            }
        elif entity == "appointment_assignments":
            appointment = self._of("appointments", index)
            technician = self._of("technicians", index)
            refs |= {
                "technicianId": record_id("technicians", technician),
                "technicianName": name("technicians", technician),
                "jobId": record_id("jobs", self.job_of_appointment(appointment)),
                "appointmentId": record_id("appointments", appointment),
            }
        elif entity == "invoices":
            job = self._of("jobs", index)
            of_job = self.references("jobs", job)
            customer = index_of("customers", of_job["customerId"])
            location = index_of("locations", of_job["locationId"])
            refs |= {
                "job.id": record_id("jobs", job),
                "job.number": of_job["jobNumber"],
                "customer.id": record_id("customers", customer),
                "customer.name": name("customers", customer),
                "location.id": record_id("locations", location),
                "location.name": name("locations", location),
            }
        return refs
