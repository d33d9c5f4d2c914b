from typing import Annotated

from business.commands.output import format_table
from business.partitions import MONTHS_AHEAD, RETENTION_MONTHS
from business.tables import Message
from platform_db.cli import command, confirm


@command
async def maintain_partitions(
    months_ahead: Annotated[int, MONTHS_AHEAD] = 5,
    retention_months: Annotated[int, RETENTION_MONTHS] = 6,
    keep_tables: bool = False,
    dry_run: bool = False,
    yes: bool = False,
):
    """
    Create the messages partitions of this month and the months ahead
    (moving rows the DEFAULT partition holds into them), and drop the
    partitions older than the retention. Prints the plan first; dropping
    or purging rows needs --yes (or a "y" at the prompt). Cron:
    piccolo business maintain_partitions --yes

    :param months_ahead:
        Months after the current one that must have a partition (0 to 60).
    :param retention_months:
        Whole months before the current one whose messages are kept
        (0 to 1,200).
    :param keep_tables:
        Detach expired partitions and keep them as plain tables instead of
        dropping them.
    :param dry_run:
        Print the plan and change nothing.
    :param yes:
        Drop and purge without asking.
    """
    plan = await Message.partition_plan(months_ahead, retention_months, keep_tables)
    if not plan.steps or dry_run:
        print(plan.describe())
        if dry_run and plan.steps:
            print("dry run: nothing was changed")
        return
    if plan.removes_rows:
        confirm(plan.describe(), yes, action="drop and purge as planned")
    else:
        print(plan.describe())
    done = await Message.apply_partition_plan(plan)
    print(format_table(done, ["action", "partition_name", "row_count"]))
