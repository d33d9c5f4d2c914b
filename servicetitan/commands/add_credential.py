from typing import Annotated

from platform_db.cli import CommandError, command, read_secret
from servicetitan.commands.credentials import ENVIRONMENTS, TENANT_ID, credential_of, find_company
from servicetitan.tables import ServiceTitanCredential


@command
async def add_credential(
    company: str,
    environment: Annotated[str, ENVIRONMENTS],
    client_id: str,
    tenant_id: Annotated[int, TENANT_ID],
):
    """
    Store a company's ServiceTitan client credentials and the tenant they
    act for. The client secret is asked for at a prompt that does not echo
    it, or read as one line from standard input when that is not a
    terminal (`... < secret.txt`); never from the command line.

    :param company:
        The company's id, or its exact name.
    :param environment:
        integration or production.
    :param client_id:
        The app's client id, from ServiceTitan's developer portal.
    :param tenant_id:
        The ServiceTitan tenant id these credentials act for.
    """
    owner = await find_company(company)
    existing = await credential_of(owner, environment)
    if existing is not None:
        raise CommandError(
            f"{owner.name} already has {environment} credentials ({existing.id}): one per "
            "environment; `piccolo servicetitan set_tenant_id` changes their tenant id"
        )
    secret = read_secret("client secret")
    credential = await ServiceTitanCredential.register(
        owner.id, environment, client_id, secret, tenant_id=tenant_id
    )
    print(f"credential {credential.id}: {owner.name} ({environment}), tenant {tenant_id}")
