from datetime import datetime, timezone
from typing import Annotated

from business.sample_data import SampleSize, build, load, loaded_sample
from platform_db.cli import Bounds, CommandError, command, confirm

# The rows are built in memory before they are written (~0.4 KB a row):
# scale 1,000 is about 7.4 million rows and 3 GB.
MAX_SCALE = 1_000
# Above this many rows the plan is shown and a yes asked for.
LARGE_LOAD_ROWS = 100_000


@command
async def load_sample_data(
    seed: Annotated[int, Bounds(0)] = 4,
    scale: Annotated[int, Bounds(1, MAX_SCALE)] = 1,
    replace: bool = False,
    yes: bool = False,
):
    """
    Load seed 004's sample salon: 1 company, 1,299 clients, 63 services,
    12 staff, 60 schedules, 38 bookings, 21 dialog contexts and 6,000
    messages over the last months (with reminders, cache entries, sync
    status and WhatsApp keys). The same seed on the same day loads the
    same rows. One sample company at a time.

    :param seed:
        The random seed the rows are made from.
    :param scale:
        Multiplies clients, bookings, dialog contexts and messages (at most
        1,000: about 7.4 million rows, built in memory first).
    :param replace:
        Delete the sample company already loaded (and all it owns) first.
    :param yes:
        Go ahead without asking, for --replace or a load of more than
        100,000 rows.
    """
    size = SampleSize().scaled(scale)
    wanted = f"seed {seed} at scale {scale} (about {size.rows():,} rows)"
    existing = await loaded_sample()
    if existing is not None and not replace:
        raise CommandError(
            f"the sample company is already loaded: {existing}. --replace deletes it, and "
            f"all it owns, and loads {wanted}"
        )
    if existing is not None:
        confirm(f"delete the sample company {existing} and all it owns, then load {wanted}", yes)
    elif size.rows() > LARGE_LOAD_ROWS:
        confirm(f"load {wanted}, built in memory first", yes)
    data = build(seed, size, datetime.now(timezone.utc).date(), scale)
    counts = data.counts()
    from tqdm import tqdm  # here, not in every command that registers this one

    with tqdm(total=sum(counts.values()), unit="rows", desc="sample data") as bar:
        await load(data, replace=replace, progress=bar.update)
    for table, count in counts.items():
        print(f"{table}: {count}")
    print(f"company id: {data.company_id}")
