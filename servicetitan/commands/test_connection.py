"""``piccolo servicetitan test_connection``: do a company's credentials work?"""

from __future__ import annotations

from typing import Annotated

from platform_db.cli import CommandError, command
from servicetitan.commands.credentials import ENVIRONMENTS, find_company, required_credential


@command
async def test_connection(company: str, environment: Annotated[str, ENVIRONMENTS]):
    """
    Check a company's ServiceTitan credentials: obtain a new access token
    with the stored client id and secret, make one cheap API call for the
    tenant with it, and print the outcome and the token's expiry. The
    outcome is recorded on the credentials (connection_status,
    last_connection_attempt, connection_error). Needs SERVICETITAN_APP_KEY.

    :param company:
        The company's id, or its exact name.
    :param environment:
        integration or production.
    """
    # The API client (httpx) is imported when the command runs, not by every
    # ``piccolo`` command that registers this one.
    from servicetitan.api.client import TenantMissing, check_connection
    from servicetitan.api.errors import NotConfigured, ServiceTitanError
    from servicetitan.api.settings import ApiSettings

    try:
        settings = ApiSettings.for_environment(environment)
    except NotConfigured as exc:
        raise CommandError(str(exc)) from None
    owner = await find_company(company)
    credential = await required_credential(owner, environment)
    where = f"{owner.name} ({environment}), tenant {credential.tenant_id}"
    try:
        check = await check_connection(credential, settings)
    except (ServiceTitanError, TenantMissing) as exc:
        raise CommandError(f"{where}: the connection failed: {exc}") from None
    print(
        f"{where}: connected; the access token expires at "
        f"{check.token_expires_at:%Y-%m-%d %H:%M:%S} UTC; the API answered in "
        f"{check.call_seconds:.2f} s"
    )
