"""What the servicetitan commands share: their tenant id and environment
arguments, and finding a company and its credentials from what an operator
types (the company's id or its exact name, and an environment; or a
tenant id)."""

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


async def required_credential(company: Company, environment: str) -> ServiceTitanCredential:
    """The company's credential of ``environment``; refused if it has none."""
    credential = await credential_of(company, environment)
    if credential is None:
        raise CommandError(
            f"{company.name} has no {environment} credentials: add them with "
            "`piccolo servicetitan add_credential`"
        )
    return credential


async def credential_of(company: Company, environment: str) -> ServiceTitanCredential | None:
    return (
        await ServiceTitanCredential.objects()
        .where(ServiceTitanCredential.company == company.id)
        .where(ServiceTitanCredential.environment == environment)
        .first()
    )


async def credential_for_tenant(
    tenant_id: int, environment: str, done: str
) -> ServiceTitanCredential:
    """The credential of ``tenant_id`` (of ``environment`` if given); the
    refusal says that nothing was ``done``."""
    query = ServiceTitanCredential.objects().where(ServiceTitanCredential.tenant_id == tenant_id)
    if environment:
        query = query.where(ServiceTitanCredential.environment == environment)
    credentials = await query
    if len(credentials) == 1:
        return credentials[0]
    if not credentials:
        raise CommandError(
            f"no servicetitan_credentials row has tenant_id {tenant_id}"
            + (f" and environment {environment!r}" if environment else "")
            + f": add one with `piccolo servicetitan add_credential` (nothing was {done})"
        )
    found = ", ".join(sorted(c.environment for c in credentials))
    raise CommandError(f"tenant {tenant_id} has credentials for {found}: pass --environment=...")
