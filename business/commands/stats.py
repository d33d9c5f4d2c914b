from business.commands.output import format_table
from business.maintenance import database_stats, whatsapp_auth_stats
from business.tables import Message
from platform_db.cli import command


@command
async def stats(exact: bool = False):
    """
    Print rows and sizes of the business tables, of each messages partition,
    and the WhatsApp auth keys per type. Row counts of tables and partitions
    are the catalog's estimates (kept by VACUUM and ANALYZE; nothing is
    scanned) unless --exact.

    :param exact:
        Count the rows of every table and partition (a scan of each).
    """
    print("row_count: " + ("counted" if exact else "estimated from the catalog (--exact counts)"))
    print("\nTables")
    print(format_table(await database_stats(exact), ["table_name", "row_count", "total_size"]))
    print("\nMessages partitions")
    print(
        format_table(
            await Message.partition_stats(exact),
            ["partition_name", "range_start", "range_end", "row_count", "total_size"],
        )
    )
    print("\nWhatsApp auth keys")
    print(
        format_table(
            await whatsapp_auth_stats(),
            ["key_type", "total_keys", "expired_keys", "companies", "last_updated_at"],
        )
    )
