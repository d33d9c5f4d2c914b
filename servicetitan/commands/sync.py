"""``piccolo servicetitan sync``: a manual sync of a tenant's export feeds
into the cache, one logged run per entity (``both``: customers and
invoices in one), each going on where its feed stands unless told
``--full`` or ``--since``."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

from platform_db.cli import Check, CommandError, OneOf, UsageError, command
from servicetitan.cache.raw_tables import BY_ENTITY
from servicetitan.commands.credentials import ENVIRONMENTS, TENANT_ID, credential_for_tenant

# The API client (httpx), the sync and tqdm are imported when a sync runs,
# not by every ``piccolo`` command that registers this one (~0.1 s each).
ENTITIES = (*BY_ENTITY, "both")  # servicetitan.sync.feeds.ENTITIES

# ``all``: every feed, each its own run, in the order records point at each
# other (a location names its customer, a job its location...).
ALL = ("customers", "locations", "jobs", "appointments", "appointment_assignments",
       "technicians", "invoices")  # fmt: skip


def _date(label: str, value: str) -> str:
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"{label} must be a date as YYYY-MM-DD, not {value!r}") from None
    return value


class Progress:
    """A progress bar of records and pages per run (tqdm, as ``load``)."""

    def __init__(self, entity: str):
        from tqdm import tqdm  # here, not in every command that registers this one

        self.bar = tqdm(unit=" records", desc=entity, file=sys.stderr)
        self.pages = 0

    def page(self, feed, page, result) -> None:
        self.pages += 1
        self.bar.set_postfix_str(f"{feed} page {page.number}", refresh=False)
        self.bar.update(len(page.records))


@command
async def sync(
    entity: Annotated[str, OneOf(*ENTITIES, "all")],
    tenant_id: Annotated[int, TENANT_ID],
    full: bool = False,
    since: Annotated[str, Check(_date)] = "",
    environment: Annotated[str, ENVIRONMENTS] = "",
    queue: bool = False,
):
    """
    Sync a tenant's ServiceTitan records into the raw cache from the API's
    export feeds: one logged run per entity, each going on where its feed
    stands. A feed that was caught up less than 5 minutes ago is not asked
    again. Exits 1 when any run failed or could not start. Needs
    SERVICETITAN_APP_KEY.

    :param entity:
        locations, customers, jobs, appointments, appointment_assignments,
        technicians, invoices; both (customers and invoices, one run); or
        all (every one, a run each).
    :param tenant_id:
        The ServiceTitan tenant id; a servicetitan_credentials row must have it.
    :param full:
        Start the feeds again at their beginning (what is cached stays; every
        record is read again).
    :param since:
        Start the feeds at this date (YYYY-MM-DD): records modified since.
    :param environment:
        integration or production, when the tenant has credentials for both.
    :param queue:
        Queue the runs for `piccolo servicetitan worker` (as manual runs,
        ahead of the scheduled ones) instead of running them here.
    """
    if full and since:
        raise UsageError("--full and --since cannot be given together")
    if queue and (full or since):
        raise UsageError("--queue runs the feeds from where they stand: not with --full or --since")
    credential = await credential_for_tenant(tenant_id, environment, "synced")
    if queue:
        # Imported here: the queue (procrastinate) takes ~0.7 s to import.
        from servicetitan.worker.queue import queue_feeds

        await queue_feeds(credential, entity)
        return
    from servicetitan.api.errors import CredentialsRejected, NotConfigured, ServiceTitanError
    from servicetitan.api.settings import ApiSettings
    from servicetitan.sync.feeds import CaughtUp, sync_feed
    from servicetitan.sync.locks import SyncNotStarted

    try:
        settings = ApiSettings.for_environment(credential.environment)
    except NotConfigured as exc:
        raise CommandError(f"{exc} (nothing was synced)") from None
    entities = ALL if entity == "all" else (entity,)
    outcomes = {"completed": 0, "failed": 0, "not started": 0, "caught up": 0}
    for name in entities:
        progress = Progress(name)
        try:
            log = await sync_feed(
                credential,
                name,
                full=full,
                since=date.fromisoformat(since) if since else None,
                on_page=progress.page,
                settings=settings,
            )
        except CaughtUp as exc:
            progress.bar.close()
            print(f"{name}: {exc}")
            outcomes["caught up"] += 1
            continue
        except SyncNotStarted as exc:
            progress.bar.close()
            print(f"error: {name}: {exc}", file=sys.stderr)
            outcomes["not started"] += 1
            continue
        except ServiceTitanError as exc:
            progress.bar.close()
            print(f"error: {name}: the sync failed: {exc}", file=sys.stderr)
            outcomes["failed"] += 1
            if isinstance(exc, CredentialsRejected):
                break  # the next feeds would be refused alike
            continue
        progress.bar.close()
        print(
            f"{name}: {log.records_processed:,} records in {progress.pages} page(s): "
            f"{log.records_successful:,} cached, {log.records_failed:,} rejected "
            f"(sync log {log.id})"
        )
        outcomes["completed"] += 1
    summary = f"tenant {tenant_id}: " + ", ".join(
        f"{n} {what}" for what, n in outcomes.items() if n
    )
    if outcomes["failed"] or outcomes["not started"]:
        raise CommandError(summary)
    print(summary)
