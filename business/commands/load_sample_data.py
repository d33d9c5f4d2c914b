from datetime import datetime, timezone

from tqdm import tqdm

from business.sample_data import SampleSize, build, load


async def load_sample_data(seed: int = 4, scale: int = 1, replace: bool = False):
    """
    Load seed 004's sample salon: 1 company, 1,299 clients, 63 services,
    12 staff, 60 schedules, 38 bookings, 21 dialog contexts and 6,000
    messages over the last months (with reminders, cache entries, sync
    status and WhatsApp keys). The same seed on the same day loads the
    same rows.

    :param seed:
        The random seed the rows are made from.
    :param scale:
        Multiplies clients, bookings, dialog contexts and messages.
    :param replace:
        Delete an existing sample company (and all it owns) first.
    """
    today = datetime.now(timezone.utc).date()
    data = build(seed, SampleSize().scaled(scale), today)
    counts = data.counts()
    with tqdm(total=sum(counts.values()), unit="rows", desc="sample data") as bar:
        await load(data, replace=replace, progress=bar.update)
    for table, count in counts.items():
        print(f"{table}: {count}")
    print(f"company id: {data.company_id}")
