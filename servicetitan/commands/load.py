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

from platform_db.cli import CommandError, OneOf, command
from servicetitan.commands.credentials import ENVIRONMENTS, TENANT_ID, credential_for_tenant
from servicetitan.cache.raw_tables import BY_ENTITY
from servicetitan.cache.pages import InvalidPage, check_files, file_pages, json_files
from servicetitan.sync.run import run_sync

# Shown on stderr after a run; every reject is in the sync log.
REJECTS_SHOWN = 20


@command
async def load(
    entity: Annotated[str, OneOf(*BY_ENTITY)],
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
    table = BY_ENTITY[entity]
    credential = await credential_for_tenant(tenant_id, environment, "loaded")
    try:
        files = json_files(Path(path))
        records = check_files(files, table._meta.tablename)
    except InvalidPage as exc:
        raise CommandError(f"{exc} (nothing was loaded)") from None
    from tqdm import tqdm  # here, not in every command that registers this one

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
