"""What the servicetitan commands share: their tenant id and environment
arguments, and finding a company and its credentials from what an operator
types (the company's id or its exact name, and an environment)."""

from __future__ import annotations

import uuid

from business.tables import Company
from platform_db.cli import Bounds, CommandError, OneOf
from servicetitan.enums import Environment
from servicetitan.cache.records import POSITIVE_ID_RANGE
from servicetitan.tables import ServiceTitanCredential

# As ``Annotated[int, TENANT_ID]``: a ServiceTitan tenant id is a positive bigint.
TENANT_ID = Bounds(POSITIVE_ID_RANGE.start, POSITIVE_ID_RANGE.stop - 1)
ENVIRONMENTS = OneOf(*(e.value for e in Environment))


async def find_company(given: str) -> Company:
    try:
        by_id = Company.id == uuid.UUID(given)
    except ValueError:
        by_id = None
    found = await Company.objects().where(by_id if by_id is not None else Company.name == given)
    if len(found) == 1:
        return found[0]
    if not found:
        raise CommandError(f"no company has the {'id' if by_id is not None else 'name'} {given!r}")
    ids = ", ".join(str(c.id) for c in found)
    raise CommandError(f"{len(found)} companies are named {given!r}: give its id ({ids})")


async def credential_of(company: Company, environment: str) -> ServiceTitanCredential | None:
    return (
        await ServiceTitanCredential.objects()
        .where(ServiceTitanCredential.company == company.id)
        .where(ServiceTitanCredential.environment == environment)
        .first()
    )
