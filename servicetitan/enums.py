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
    invoices = "invoices"
    customers = "customers"
    both = "both"


class SyncStatus(str, Enum):
    running = "running"
    completed = "completed"
    failed = "failed"
