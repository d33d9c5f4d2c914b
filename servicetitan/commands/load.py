"""``piccolo servicetitan load``: JSON files of ServiceTitan pages into the cache."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from servicetitan.pages import json_files, pages_in_file
from servicetitan.raw_tables import CACHE_TABLES
from servicetitan.sync_run import run_sync
from servicetitan.tables import ServiceTitanCredential

# "jobs" for raw.st_jobs, and so on
ENTITIES = {name.removeprefix("st_"): table for name, table in CACHE_TABLES.items()}

# Shown on stderr after a run; every reject is in the sync log.
REJECTS_SHOWN = 20


class LoadError(Exception):
    """A problem with the command's arguments or files, said in one line."""


def _tenant(tenant_id: str) -> int:
    try:
        return int(tenant_id)
    except ValueError:
        raise LoadError(f"tenant_id must be a ServiceTitan tenant id (an integer), not {tenant_id!r}")


def _table(entity: str):
    table = ENTITIES.get(entity.removeprefix("st_"))
    if table is None:
        raise LoadError(f"unknown entity {entity!r}: choose one of {', '.join(ENTITIES)}")
    return table


async def _credential(tenant_id: int, environment: str) -> ServiceTitanCredential:
    query = ServiceTitanCredential.objects().where(ServiceTitanCredential.tenant_id == tenant_id)
    if environment:
        query = query.where(ServiceTitanCredential.environment == environment)
    credentials = await query
    if len(credentials) == 1:
        return credentials[0]
    if not credentials:
        raise LoadError(
            f"no servicetitan_credentials row has tenant_id {tenant_id}"
            + (f" and environment {environment!r}" if environment else "")
            + ": a sync is logged against the tenant's credentials"
        )
    found = ", ".join(sorted(c.environment for c in credentials))
    raise LoadError(f"tenant {tenant_id} has credentials for {found}: pass --environment=...")


def _pages(files: list[Path], bar: tqdm):
    for path in files:
        yield from pages_in_file(path)
        bar.update(path.stat().st_size)


async def load(
    entity: str, tenant_id: str, path: str, full: bool = False, environment: str = ""
) -> None:
    """Load JSON files of ServiceTitan list or export pages into the raw cache
    of a tenant, as one logged sync run.

    :param entity:
        locations, jobs, appointments, appointment_assignments or technicians.
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
    try:
        table = _table(entity)
        credential = await _credential(_tenant(tenant_id), environment)
        files = json_files(Path(path))
        total_bytes = sum(f.stat().st_size for f in files)
        with tqdm(total=total_bytes, unit="B", unit_scale=True, desc=table._meta.tablename) as bar:
            records = 0

            def progress(result) -> None:
                nonlocal records
                records += result.processed
                bar.set_postfix(records=records, refresh=False)

            log, total = await run_sync(
                credential, table, _pages(files, bar), full=full, on_page=progress
            )
    except Exception as exc:
        # Bad arguments or files, or a failed run: its sync log is marked
        # failed with this message, and the pages before the failure are cached.
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    for rejected in total.rejected[:REJECTS_SHOWN]:
        print(f"rejected record {rejected.index} (id {rejected.id}): {rejected.reason}", file=sys.stderr)
    print(
        f"{table._meta.schema}.{table._meta.tablename}, tenant {credential.tenant_id}: "
        f"{total.inserted} inserted, {total.updated} updated, {total.unchanged} unchanged, "
        f"{len(total.rejected)} rejected (sync log {log.id})"
    )
