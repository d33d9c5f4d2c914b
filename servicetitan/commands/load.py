"""``piccolo servicetitan load``: JSON files of ServiceTitan pages into the cache.

A load is checked whole before it starts: its arguments, the tenant's
credentials, and every file (readable JSON, ServiceTitan pages, records of
the entity named). Refused there, it writes nothing: no sync log, no
``raw.sync_state``. Once it has started it is one sync log: ``completed``
(rejected records counted and listed with file, page and position), or
``failed`` with the reason, the pages before the failure staying cached.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from tqdm import tqdm

from platform_db.cli import CommandError, OneOf, command
from servicetitan.commands.credentials import ENVIRONMENTS, TENANT_ID
from servicetitan.cache.pages import InvalidPage, check_files, file_pages, json_files
from servicetitan.cache.raw_tables import CACHE_TABLES
from servicetitan.sync.run import run_sync
from servicetitan.tables import ServiceTitanCredential

# "jobs" for raw.st_jobs, and so on
ENTITIES = {name.removeprefix("st_"): table for name, table in CACHE_TABLES.items()}

# Shown on stderr after a run; every reject is in the sync log.
REJECTS_SHOWN = 20


async def _credential(tenant_id: int, environment: str) -> ServiceTitanCredential:
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
            + ": add one with `piccolo servicetitan add_credential` (nothing was loaded)"
        )
    found = ", ".join(sorted(c.environment for c in credentials))
    raise CommandError(f"tenant {tenant_id} has credentials for {found}: pass --environment=...")


@command
async def load(
    entity: Annotated[str, OneOf(*ENTITIES)],
    tenant_id: Annotated[int, TENANT_ID],
    path: str,
    full: bool = False,
    environment: Annotated[str, ENVIRONMENTS] = "",
):
    """Load JSON files of ServiceTitan list or export pages into the raw cache
    of a tenant, as one logged sync run. Every file is checked first (JSON,
    pages, records of the entity named): a refused load writes nothing.

    :param entity:
        locations, customers, jobs, appointments, appointment_assignments,
        technicians or invoices.
    :param tenant_id:
        The ServiceTitan tenant id; a servicetitan_credentials row must have it.
    :param path:
        A .json file (a page, a list of pages or a list of records), or a
        folder of them, loaded in name order.
    :param full:
        The files hold all of the tenant's records (a full sync), not only
        the changed ones (an incremental sync).
    :param environment:
        integration or production, when the tenant has credentials for both.
    """
    table = ENTITIES[entity]
    credential = await _credential(tenant_id, environment)
    try:
        files = json_files(Path(path))
        records = check_files(files, table._meta.tablename)
    except InvalidPage as exc:
        raise CommandError(f"{exc} (nothing was loaded)") from None
    with tqdm(total=records, unit="records", desc=table._meta.tablename) as bar:
        log, total = await run_sync(
            credential,
            table,
            file_pages(files),
            full=full,
            on_page=lambda result: bar.update(result.processed),
        )
    for rejected in total.rejected[:REJECTS_SHOWN]:
        print(f"rejected {rejected.where()} (id {rejected.id}): {rejected.reason}", file=sys.stderr)
    if len(total.rejected) > REJECTS_SHOWN:
        print(
            f"... and {len(total.rejected) - REJECTS_SHOWN} more in the sync log", file=sys.stderr
        )
    print(
        f"{table._meta.schema}.{table._meta.tablename}, tenant {credential.tenant_id}: "
        f"{total.inserted} inserted, {total.updated} updated, {total.unchanged} unchanged, "
        f"{len(total.rejected)} rejected (sync log {log.id})"
    )
