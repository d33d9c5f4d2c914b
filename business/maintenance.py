"""The database-side cleanups and statistics of seed 004, from Python."""

from __future__ import annotations

from business.tables import Company
from platform_db.connection import fetch

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


async def database_stats(exact: bool = False) -> list[dict]:
    """Rows and size of every business table: row counts from the catalog's
    estimates (no scan), or counted with ``exact``."""
    return await fetch(Company, "SELECT * FROM public.get_database_stats($1)", exact)


async def whatsapp_auth_stats() -> list[dict]:
    """WhatsApp auth keys per key type: total, expired, companies, last update."""
    return await fetch(Company, "SELECT * FROM public.get_whatsapp_auth_stats()")
