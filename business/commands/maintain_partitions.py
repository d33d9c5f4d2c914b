from business.commands.output import format_table
from business.tables import Message


async def maintain_partitions(months_ahead: int = 5, retention_months: int = 6):
    """
    Create the messages partitions of this month and the months ahead, move
    rows the DEFAULT partition holds into them, and drop the partitions
    older than the retention.

    :param months_ahead:
        Months after the current one that must have a partition.
    :param retention_months:
        Whole months before the current one whose messages are kept.
    """
    done = await Message.maintain_partitions(months_ahead, retention_months)
    if not done:
        print("messages partitions: nothing to do")
        return
    print(format_table(done, ["action", "partition_name", "row_count"]))
