"""``servicetitan_credential_overview``: a token is ``expiring`` when less
than the client's refresh margin is left (``servicetitan.api.tokens.
REFRESH_MARGIN``, 60 seconds), not within the hour.

ServiceTitan's access tokens live 15 minutes and the client asks for a new
one once less than the margin is left, so "within the hour" called every
healthy credential's token expiring. Now ``expiring`` says what the client
does: it no longer sends that token, the next request obtains a new one.
``tests/servicetitan/test_credential_overview.py`` holds the view to the
Python constant.

Only the CASE changes; names, types and order of the columns stay, so
``CREATE OR REPLACE VIEW`` swaps the definition in place (an instant on the
catalog, no data), and backwards puts the previous one back the same way.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps
from servicetitan.piccolo_migrations.servicetitan_2026_12_07t02_54_44_credential_overview_connection_error import (  # noqa: E501
    WITH_CONNECTION_ERROR,
)

ID = "2026-12-07T06:08:57:544265"
VERSION = "1.38.0"
DESCRIPTION = "credential_overview_expiring_within_the_refresh_margin"

WITHIN_THE_HOUR = "+ interval '1 hour' THEN 'expiring'"
WITHIN_THE_MARGIN = "+ interval '60 seconds' THEN 'expiring'"


def _expiring_within_the_margin(previous: str) -> str:
    if previous.count(WITHIN_THE_HOUR) != 1:
        raise RuntimeError("the previous view's 'expiring' condition was not found")
    return previous.replace(WITHIN_THE_HOUR, WITHIN_THE_MARGIN)


EXPIRING_WITHIN_THE_MARGIN = SqlStep(
    forwards=_expiring_within_the_margin(WITH_CONNECTION_ERROR.forwards),
    backwards=WITH_CONNECTION_ERROR.forwards,
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicetitan", description=DESCRIPTION)
    add_sql_steps(manager, EXPIRING_WITHIN_THE_MARGIN)
    return manager
