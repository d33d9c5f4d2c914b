from business.maintenance import cleanup_expired
from platform_db.cli import command, confirm


@command
async def cleanup(yes: bool = False):
    """
    Delete expired dialog contexts, appointment cache entries and WhatsApp
    auth keys, and print how many rows each table lost. Says how many it
    will delete and asks first.

    :param yes:
        Delete without asking (for cron).
    """
    expired = await cleanup_expired(dry_run=True)
    if not any(expired.values()):
        print("no expired rows: nothing to do")
        return
    plan = ", ".join(f"{count} from {table}" for table, count in expired.items())
    confirm(f"delete the expired rows: {plan}", yes, action="delete them")
    for table, removed in (await cleanup_expired()).items():
        print(f"{table}: {removed} expired rows deleted")
