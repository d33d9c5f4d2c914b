"""Seed 004's sample salon: 1 company, 1,299 clients, 63 services, 12 staff,
60 schedules, 38 bookings, 21 dialog contexts and messages over the last
months, plus reminders, cache entries, sync status and WhatsApp keys.

Everything, ids included, comes from one ``random.Random(seed)`` and the
given day, so the same seed on the same day builds the same rows. ``scale``
multiplies clients, bookings, dialog contexts and messages (a salon's
services and staff stay as they are).
"""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from piccolo.table import Table

from business.enums import (
    BookingSource,
    BookingStatus,
    DialogState,
    MessageDirection,
    MessageStatus,
    MessageType,
    SyncEntity,
    WhatsAppKeyType,
)
from business.tables import (
    AppointmentCache,
    Booking,
    Client,
    Company,
    DialogContext,
    Message,
    Reminder,
    Service,
    Staff,
    StaffSchedule,
    SyncStatus,
    WhatsAppAuthKey,
)
from platform_db.database.connection import copy_rows

SAMPLE_YCLIENTS_COMPANY_ID = "sample-salon-004"
BATCH = 5_000

FIRST_NAMES = [
    "Anna", "Maria", "Elena", "Olga", "Irina", "Natalia", "Svetlana", "Tatiana",
    "Ekaterina", "Daria", "Alexei", "Dmitry", "Sergei", "Ivan", "Pavel", "Nikita",
]  # fmt: skip
LAST_NAMES = [
    "Ivanova", "Petrova", "Smirnova", "Kuznetsova", "Popova", "Volkova", "Sokolova",
    "Lebedeva", "Novikova", "Morozova", "Orlov", "Belov", "Zaitsev", "Fedorov",
]  # fmt: skip
CATEGORIES = {
    "Haircut": ["women's", "men's", "children's", "fringe", "styling", "blow-dry", "updo"],
    "Colouring": ["roots", "full", "balayage", "highlights", "toning", "airtouch", "gloss"],
    "Care": ["keratin", "botox", "olaplex", "scalp peel", "mask", "hot scissors", "spa"],
    "Manicure": ["classic", "hardware", "gel polish", "french", "removal", "design", "men's"],
    "Pedicure": ["classic", "hardware", "gel polish", "spa", "podology", "removal", "men's"],
    "Brows": ["shaping", "tint", "lamination", "henna", "wax", "correction", "combo"],
    "Lashes": ["extension 2D", "extension 3D", "lift", "tint", "removal", "refill", "classic"],
    "Makeup": ["day", "evening", "bridal", "express", "lesson", "photo", "trial"],
    "Massage": ["back", "face", "lymphatic", "relax", "anti-cellulite", "stone", "head"],
}
SPECIALIZATIONS = ["hair stylist", "colourist", "nail artist", "brow & lash", "makeup artist"]
PHRASES = [
    "Hello! Can I book for tomorrow?", "What time is free on Friday?", "Thank you!",
    "Please confirm my appointment", "How much is a haircut?", "I'll be 10 minutes late",
    "Can I change the master?", "See you soon", "Is there parking nearby?",
]  # fmt: skip


@dataclass(frozen=True)
class SampleSize:
    clients: int = 1299
    services: int = sum(len(v) for v in CATEGORIES.values())  # 63
    staff: int = 12
    working_days: int = 5  # of the next 7, per staff member: 60 schedules
    bookings: int = 38
    dialog_contexts: int = 21
    messages: int = 6_000
    message_months: int = 3  # before the current one

    def rows(self) -> int:
        """About how many rows this size builds (reminders and cache entries
        depend on the random bookings)."""
        return (
            1 + self.clients + self.services + self.staff * (1 + self.working_days)
            + 3 * self.bookings + self.dialog_contexts + self.messages
        )

    def scaled(self, scale: int) -> SampleSize:
        if scale < 1:
            raise ValueError(f"the sample data scale must be 1 or more, not {scale}")
        return dataclasses.replace(
            self,
            clients=self.clients * scale,
            bookings=self.bookings * scale,
            dialog_contexts=self.dialog_contexts * scale,
            messages=self.messages * scale,
        )


@dataclass
class SampleData:
    """Rows per table class, in the order they must be loaded."""

    company_id: uuid.UUID
    rows: dict[type[Table], list[dict]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {t._meta.tablename: len(r) for t, r in self.rows.items()}


class SampleDataExists(RuntimeError):
    """The sample company is already there."""


@dataclass(frozen=True)
class LoadedSample:
    """The sample company in the database, and what it was built from."""

    company_id: uuid.UUID
    name: str
    seed: int | None
    scale: int | None
    clients: int
    messages: int

    def __str__(self) -> str:
        built = f"seed {self.seed}, scale {self.scale}" if self.seed is not None else "seed unknown"
        return (
            f"{self.name!r} ({self.company_id}; {built}: {self.clients:,} clients, "
            f"{self.messages:,} messages)"
        )


async def loaded_sample() -> LoadedSample | None:
    """The sample company already loaded, if any (there is one at most)."""
    company = (
        await Company.select(Company.id, Company.name, Company.settings)
        .where(Company.yclients_company_id == SAMPLE_YCLIENTS_COMPANY_ID)
        .first()
    )
    if company is None:
        return None
    made_from = json.loads(company["settings"] or "{}").get("sample", {})
    return LoadedSample(
        company_id=company["id"],
        name=company["name"],
        seed=made_from.get("seed"),
        scale=made_from.get("scale"),
        clients=await Client.count().where(Client.company == company["id"]),
        messages=await Message.count().where(Message.company == company["id"]),
    )


class _Builder:
    def __init__(self, seed: int, size: SampleSize, today: date, scale: int):
        self.seed, self.scale = seed, scale
        self.rng = random.Random(seed)
        self.size = size
        self.today = today
        self.moment = datetime.combine(today, time(12), timezone.utc)
        self.company_id = self.uuid()

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def owned(self, **values) -> dict:
        return {"id": self.uuid(), "company_id": self.company_id, **values}

    def at(self, days_from: float, days_to: float) -> datetime:
        return self.moment + timedelta(days=self.rng.uniform(days_from, days_to))

    def company(self) -> list[dict]:
        return [
            {
                "id": self.company_id,
                "name": "Test salon",
                "phone": "79001234567",
                "yclients_company_id": SAMPLE_YCLIENTS_COMPANY_ID,
                "address": "Moscow, Malaya Bronnaya 10",
                "settings": json.dumps(
                    {
                        "reminders": {"day_before": True, "hours_before": 2},
                        # what it was built from, for a later load to name it
                        "sample": {"seed": self.seed, "scale": self.scale},
                    }
                ),
            }
        ]

    def clients(self) -> list[dict]:
        numbers = self.rng.sample(range(10**9), self.size.clients)
        rows = []
        for index, number in enumerate(numbers):
            visits = self.rng.randint(0, 30)
            rows.append(
                self.owned(
                    # WhatsApp-only clients have no YClients id.
                    yclients_client_id=str(500_000 + index) if self.rng.random() < 0.85 else None,
                    phone=f"79{number:09d}",
                    name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                    email=f"client{index}@example.com" if self.rng.random() < 0.4 else None,
                    visit_count=visits,
                    total_spent=Decimal(visits * self.rng.randint(10, 60) * 100),
                    last_visit_at=self.at(-365, -1) if visits else None,
                )
            )
        return rows

    def services(self) -> list[dict]:
        rows = []
        for category, variants in CATEGORIES.items():
            for variant in variants:
                low = Decimal(self.rng.randint(8, 60) * 100)
                rows.append(
                    self.owned(
                        yclients_service_id=str(10_000 + len(rows)),
                        title=f"{category}: {variant}",
                        category=category,
                        price_min=low,
                        price_max=low + Decimal(self.rng.randint(0, 20) * 100),
                        duration_minutes=self.rng.choice([30, 45, 60, 90, 120]),
                    )
                )
        return rows[: self.size.services]

    def staff(self) -> list[dict]:
        return [
            self.owned(
                yclients_staff_id=str(2_000 + index),
                name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                specialization=self.rng.choice(SPECIALIZATIONS),
                rating=Decimal(self.rng.randint(40, 50)) / 10,
            )
            for index in range(self.size.staff)
        ]

    def schedules(self, staff: list[dict]) -> list[dict]:
        rows = []
        for member in staff:
            for offset in sorted(self.rng.sample(range(7), self.size.working_days)):
                start = self.rng.choice([9, 10, 11])
                rows.append(
                    self.owned(
                        staff_id=member["id"],
                        date=self.today + timedelta(days=offset),
                        start_time=time(start),
                        end_time=time(start + 9),
                    )
                )
        return rows

    def bookings(self, clients, services, staff) -> list[dict]:
        rows = []
        for index in range(self.size.bookings):
            service = self.rng.choice(services)
            when = self.at(-14, 14).replace(minute=0, second=0, microsecond=0)
            past = when < self.moment
            status = self.rng.choice(
                [BookingStatus.completed, BookingStatus.completed, BookingStatus.no_show]
                if past
                else [BookingStatus.pending, BookingStatus.confirmed]
            )
            rows.append(
                self.owned(
                    yclients_record_id=str(900_000 + index) if self.rng.random() < 0.8 else None,
                    client_id=self.rng.choice(clients)["id"],
                    service_id=service["id"],
                    staff_id=self.rng.choice(staff)["id"],
                    appointment_at=when,
                    duration_minutes=service["duration_minutes"],
                    status=status.value,
                    source=self.rng.choice(list(BookingSource)).value,
                    price=service["price_min"],
                    booking_data=json.dumps({"service": service["title"], "attempt": 1}),
                )
            )
        return rows

    def reminders(self, bookings) -> list[dict]:
        rows = []
        for booking in bookings:
            if booking["status"] not in (BookingStatus.pending, BookingStatus.confirmed):
                continue
            due = booking["appointment_at"] - timedelta(days=1)
            sent = due < self.moment
            rows.append(
                self.owned(
                    booking_id=booking["id"],
                    reminder_type="day_before",
                    scheduled_for=due,
                    status="sent" if sent else "pending",
                    sent_at=due if sent else None,
                )
            )
        return rows

    def appointments_cache(self, bookings, clients_by_id) -> list[dict]:
        return [
            self.owned(
                yclients_record_id=booking["yclients_record_id"],
                phone=clients_by_id[booking["client_id"]]["phone"],
                appointment_at=booking["appointment_at"],
                data=booking["booking_data"],
                # a few already expired, for the cleanup to find
                expires_at=self.at(-1, 0) if self.rng.random() < 0.2 else self.at(1, 2),
            )
            for booking in bookings
            if booking["yclients_record_id"] is not None
        ]

    def dialog_contexts(self, clients) -> list[dict]:
        rows = []
        for client in self.rng.sample(clients, self.size.dialog_contexts):
            rows.append(
                self.owned(
                    phone=client["phone"],
                    client_id=client["id"],
                    state=self.rng.choice(list(DialogState)).value,
                    context=json.dumps({"language": "ru", "last_intent": "booking"}),
                    message_count=self.rng.randint(1, 40),
                    last_message_at=self.at(-2, 0),
                    expires_at=self.at(-1, 0) if self.rng.random() < 0.15 else self.at(1, 2),
                )
            )
        return rows

    def sync_status(self) -> list[dict]:
        return [
            self.owned(
                entity_type=entity.value,
                status="success",
                last_sync_at=self.moment,
                last_success_at=self.moment,
                records_synced=self.rng.randint(10, 2_000),
            )
            for entity in SyncEntity
        ]

    def whatsapp_keys(self) -> list[dict]:
        rows = []
        for key_type in WhatsAppKeyType:
            for index in range(self.rng.randint(2, 6)):
                expires = self.at(-3, 30) if key_type is WhatsAppKeyType.pre_key else None
                rows.append(
                    self.owned(
                        key_type=key_type.value,
                        key_id=f"{key_type.value}-{index}",
                        value=json.dumps({"key": f"{self.rng.getrandbits(64):016x}"}),
                        expires_at=expires,
                    )
                )
        return rows

    def messages(self, clients, dialogs) -> list[dict]:
        # Mostly the phones in active dialogs, some from any client.
        phones = [d["phone"] for d in dialogs] + [
            c["phone"] for c in self.rng.sample(clients, min(len(clients), 200))
        ]
        start = self.moment.replace(day=1, hour=0) - timedelta(days=31 * self.size.message_months)
        span = (self.moment - start).total_seconds()
        return [
            {
                "company_id": self.company_id,
                "phone": self.rng.choice(phones),
                "direction": self.rng.choice(list(MessageDirection)).value,
                "message_type": MessageType.text.value,
                "status": MessageStatus.delivered.value,
                "content": self.rng.choice(PHRASES),
                "whatsapp_message_id": f"3EB0{self.rng.getrandbits(64):016X}",
                "created_at": start + timedelta(seconds=self.rng.uniform(0, span)),
            }
            for _ in range(self.size.messages)
        ]


def build(seed: int, size: SampleSize, today: date, scale: int = 1) -> SampleData:
    """The sample rows; the same arguments give the same rows. ``scale`` is
    only recorded: ``size`` is what is built."""
    b = _Builder(seed, size, today, scale)
    clients, services, staff = b.clients(), b.services(), b.staff()
    bookings = b.bookings(clients, services, staff)
    dialogs = b.dialog_contexts(clients)
    data = SampleData(company_id=b.company_id)
    data.rows = {
        Company: b.company(),
        Client: clients,
        Service: services,
        Staff: staff,
        StaffSchedule: b.schedules(staff),
        Booking: bookings,
        Reminder: b.reminders(bookings),
        AppointmentCache: b.appointments_cache(bookings, {c["id"]: c for c in clients}),
        DialogContext: dialogs,
        SyncStatus: b.sync_status(),
        WhatsAppAuthKey: b.whatsapp_keys(),
        Message: b.messages(clients, dialogs),
    }
    return data


async def load(
    data: SampleData, replace: bool = False, progress: Callable[[int], None] = lambda n: None
) -> None:
    """Write ``data`` in one transaction; ``progress`` hears of each batch.

    An existing sample company is refused, or deleted first (with everything
    it owns) when ``replace`` is set. The messages' partitions are made
    first, each committed on its own: made inside the load's transaction,
    their locks on ``messages_default`` would last as long as the load.
    """
    await _create_message_partitions(data.rows[Message])
    async with Company._meta.db.transaction():
        existing = await loaded_sample()
        if existing is not None:
            if not replace:
                raise SampleDataExists(
                    f"the sample company is already loaded: {existing}; --replace deletes it "
                    "and all it owns first"
                )
            await Company.delete().where(Company.id == existing.company_id)
        for table, rows in data.rows.items():
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                if table is WhatsAppAuthKey:  # stored encrypted, as every key is
                    batch = [{**r, "value": table.encrypted_value(r["value"])} for r in batch]
                if table is Message:
                    await Message.insert_bulk(batch)
                else:
                    columns = list(batch[0])
                    await copy_rows(table, columns, [tuple(r[c] for c in columns) for r in batch])
                progress(len(batch))


async def _create_message_partitions(messages: list[dict]) -> None:
    for month in sorted({m["created_at"].date().replace(day=1) for m in messages}):
        await Message.create_partition(month)
