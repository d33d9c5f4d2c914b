from typing import Annotated

from platform_db.cli import command, confirm
from servicetitan.commands.credentials import (
    ENVIRONMENTS,
    TENANT_ID,
    find_company,
    required_credential,
)


@command
async def set_tenant_id(
    company: str,
    environment: Annotated[str, ENVIRONMENTS],
    tenant_id: Annotated[int, TENANT_ID],
    yes: bool = False,
):
    """
    Set the ServiceTitan tenant id of a company's credentials (stored
    without it, or moved to another tenant). Replacing a tenant id asks
    first.

    :param company:
        The company's id, or its exact name.
    :param environment:
        integration or production.
    :param tenant_id:
        The ServiceTitan tenant id these credentials act for.
    :param yes:
        Replace a tenant id that is set without asking.
    """
    owner = await find_company(company)
    credential = await required_credential(owner, environment)
    if credential.tenant_id == tenant_id:
        print(f"credential {credential.id} already has tenant {tenant_id}")
        return
    if credential.tenant_id is not None:
        confirm(
            f"credential {credential.id} ({owner.name}, {environment}): tenant "
            f"{credential.tenant_id} -> {tenant_id}. Its sync logs stay; what is cached for "
            f"tenant {credential.tenant_id} stays in raw.* until deleted.",
            yes,
            action="change the tenant id",
        )
    await credential.change(tenant_id=tenant_id)
    print(f"credential {credential.id}: {owner.name} ({environment}), tenant {tenant_id}")
