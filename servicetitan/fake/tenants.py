"""A fake tenant: its client credentials and, per entity, its feed's log and
the templates its records are rendered from.

Credentials, the application key and every record derive from the fake's
seed, so a fake started again with the same seed and tenants prints the
same environment and serves the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b

from servicetitan.fake.feeds import Log
from servicetitan.fake.relations import Relations
from servicetitan.fake.specs import feeds
from servicetitan.fake.templates import Templates

DEFAULT_RECORDS = 100


def derived(seed: int, what: str, size: int = 12) -> str:
    """A stable hex string for ``what`` under ``seed``."""
    return blake2b(f"{seed}:{what}".encode(), digest_size=size).hexdigest()


def counts(records: int | dict[str, int]) -> dict[str, int]:
    """Records per entity: the same number for each, or some given by name
    (the others ``DEFAULT_RECORDS``)."""
    if isinstance(records, int):
        records = dict.fromkeys(feeds(), records)
    unknown = set(records) - set(feeds())
    if unknown:
        raise ValueError(f"no entity {', '.join(sorted(unknown))}: one of {', '.join(feeds())}")
    if any(n < 0 for n in records.values()):
        raise ValueError("a count of records cannot be negative")
    return {entity: records.get(entity, DEFAULT_RECORDS) for entity in feeds()}


@dataclass
class Tenant:
    tenant_id: int
    client_id: str
    client_secret: str
    logs: dict[str, Log]
    templates: dict[str, Templates]

    @classmethod
    def make(cls, tenant_id: int, records: int | dict[str, int], seed: int) -> Tenant:
        if tenant_id < 1:
            raise ValueError(f"tenant id {tenant_id}: a positive integer")
        initial = counts(records)
        relations = Relations(initial)
        return cls(
            tenant_id=tenant_id,
            client_id="cid.fake" + derived(seed, f"{tenant_id}:client", 8),
            client_secret="cs1.fake" + derived(seed, f"{tenant_id}:secret", 16),
            logs={entity: Log(n) for entity, n in initial.items()},
            templates={
                entity: Templates(feed, relations, f"{seed}:{tenant_id}")
                for entity, feed in feeds().items()
            },
        )
