from business.maintenance import cleanup_expired


async def cleanup():
    """
    Delete expired dialog contexts, appointment cache entries and WhatsApp
    auth keys, and print how many rows each table lost.
    """
    for table, removed in (await cleanup_expired()).items():
        print(f"{table}: {removed} expired rows deleted")
