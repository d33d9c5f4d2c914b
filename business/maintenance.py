"""The database-side cleanups and statistics of seed 004, from Python."""

from __future__ import annotations

from business.tables import Company
from platform_db.database.connection import fetch

# table: the function deleting its expired rows (returns how many)
CLEANUPS = {
    "dialog_contexts": "cleanup_expired_dialog_contexts",
    "appointments_cache": "cleanup_expired_appointments_cache",
    "whatsapp_auth_keys": "cleanup_expired_whatsapp_keys",
}


async def cleanup_expired_in(table: str) -> int:
    """Delete the expired rows of ``table`` (one of ``CLEANUPS``); how many."""
    rows = await fetch(Company, f"SELECT public.{CLEANUPS[table]}() AS removed")
    return rows[0]["removed"]


async def cleanup_expired(dry_run: bool = False) -> dict[str, int]:
    """Delete expired rows everywhere, in one transaction; rows removed per
    table. ``dry_run`` rolls the transaction back: what a cleanup now would
    remove, counted by the same functions."""
    async with Company._meta.db.transaction() as transaction:
        removed = {table: await cleanup_expired_in(table) for table in CLEANUPS}
        if dry_run:
            await transaction.rollback()
    return removed


# Where the statistics are read. The exact counts scan every table: a read
# replica within its lag bound answers them when there is one. The estimates
# stay on the primary: they cost a catalog read, and for a table never yet
# vacuumed or analyzed they come from the statistics system, whose counters a
# standby does not have (it would say 0 rows).


async def database_stats(exact: bool = False) -> list[dict]:
    """Rows and size of every business table: row counts from the catalog's
    estimates (no scan), or counted with ``exact``."""
    return await fetch(
        Company, "SELECT * FROM public.get_database_stats($1)", exact, stale_ok=exact
    )


async def whatsapp_auth_stats() -> list[dict]:
    """WhatsApp auth keys per key type: total, expired, companies, last update
    (a scan of the keys: on a read replica when one is fit)."""
    return await fetch(Company, "SELECT * FROM public.get_whatsapp_auth_stats()", stale_ok=True)
