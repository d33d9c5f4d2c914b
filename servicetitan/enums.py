"""The seed's enum values (seed 000 CHECKs, seed 002 entity)."""

from enum import Enum


class Environment(str, Enum):
    integration = "integration"
    production = "production"


class ConnectionStatus(str, Enum):
    active = "active"
    inactive = "inactive"
    error = "error"


class SyncType(str, Enum):
    manual = "manual"
    scheduled = "scheduled"


class DataType(str, Enum):
    """What a sync run fetched.

    Seed 002 names invoices / customers / both; the cache of seed 001 syncs
    locations, jobs, appointments, their technician assignments and
    technicians, each logged as a sync run too. The seed's three values stay
    valid and the cache's are added, rather than a second log table that
    would split one credential's sync history in two. ``assignments`` are
    dispatch-v2's appointment assignments (``raw.st_appointment_assignments``):
    the seed's VARCHAR(20) column has no room for the table's name.
    """

    invoices = "invoices"
    customers = "customers"
    both = "both"
    locations = "locations"
    jobs = "jobs"
    appointments = "appointments"
    technicians = "technicians"
    assignments = "assignments"


class SyncStatus(str, Enum):
    running = "running"
    completed = "completed"
    failed = "failed"
