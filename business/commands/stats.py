from business.commands.output import format_table
from business.maintenance import database_stats, whatsapp_auth_stats
from business.tables import Message


async def stats():
    """
    Print rows and sizes of the business tables, of each messages partition,
    and the WhatsApp auth keys per type.
    """
    print("Tables")
    print(format_table(await database_stats(), ["table_name", "row_count", "total_size"]))
    print("\nMessages partitions")
    print(
        format_table(
            await Message.partition_stats(),
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
