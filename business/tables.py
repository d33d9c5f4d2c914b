"""The salon / WhatsApp booking business (seed 004).

Every row belongs to a company and goes with it (ON DELETE CASCADE). What
would take bookings with it is refused instead (ON DELETE RESTRICT from
clients, services and staff). Phones are stored digits only; ``yclients_*_id``
columns are nullable (WhatsApp-only clients exist) and unique per company
where present (NULLs are distinct in a UNIQUE).

Indexes Piccolo can name by itself are ``index=True`` here; composite,
partial and the messages partitions' indexes are raw SQL in the migrations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import asyncpg
from piccolo.columns import (
    JSONB,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from business import message_rows, partitions
from business.enums import (
    BookingSource,
    BookingStatus,
    DialogState,
    MessageDirection,
    MessageStatus,
    MessageType,
    ReminderStatus,
    ReminderType,
    SyncEntity,
    SyncState,
    WhatsAppKeyType,
)
from business.phones import PHONE_CHECK, normalize_phone
from platform_db.database.connection import connection, copy_rows, fetch
from platform_db.secrets import encryption
from platform_db.secrets.key_rotation import EncryptedAtRest
from platform_db.values.choices import values_check
from platform_db.values.guarded import Guarded
from platform_db.values.rejections import SECRET_SHOWN, DataRejected, rejecting


class Company(Guarded, Table, tablename="companies"):
    """The multi-tenant root: every business row belongs to a company."""

    id = UUID(primary_key=True)
    name = Varchar(length=255, null=False)
    # Normalized to digits only (e.g. 79001234567), as WhatsApp and YClients
    # identify phones.
    phone = Varchar(length=20, null=True, default=None)
    yclients_company_id = Varchar(length=50, null=True, default=None, unique=True)
    address = Varchar(length=500, null=True, default=None)
    timezone = Varchar(length=64, default="Europe/Moscow")
    settings = JSONB(default={})
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    companies_name_not_blank = Check("btrim(name) <> ''")
    companies_phone_digits = Check("phone IS NULL OR phone ~ '^[0-9]{10,15}$'")

    @classmethod
    def get_readable(cls) -> Readable:
        """How a company is named where others point to it (e.g. the admin)."""
        return Readable(template="%s", columns=[cls.name])


def _fk(target, column: str, on_delete: OnDelete, null=False, index=True) -> ForeignKey:
    """A foreign key stored as ``column`` (``company_id``), indexed for JOINs."""
    return ForeignKey(
        target,
        db_column_name=column,
        null=null,
        default=None,
        on_delete=on_delete,
        index=index,
    )


def _id(row_or_id):
    """A row stands for its primary key (as in Piccolo's own queries)."""
    return row_or_id.id if isinstance(row_or_id, Table) else row_or_id


def _company() -> ForeignKey:
    return _fk(Company, "company_id", OnDelete.cascade)


class Client(Guarded, Table, tablename="clients"):
    id = UUID(primary_key=True)
    company = _company()
    yclients_client_id = Varchar(length=50, null=True, default=None)
    phone = Varchar(length=20, null=False, default=None, index=True)
    name = Varchar(length=255, null=True, default=None)
    email = Varchar(length=255, null=True, default=None)
    birth_date = Date(null=True, default=None)
    notes = Text(null=True, default=None)
    visit_count = Integer(default=0)
    total_spent = Numeric(digits=(12, 2), default=Decimal("0"))
    last_visit_at = Timestamptz(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    # A WhatsApp number is one person per salon.
    clients_company_phone_key = Unique([company, phone])
    clients_company_yclients_id_key = Unique([company, yclients_client_id])
    clients_phone_digits = Check(PHONE_CHECK)
    clients_counters_not_negative = Check("visit_count >= 0 AND total_spent >= 0")


class Service(Guarded, Table, tablename="services"):
    id = UUID(primary_key=True)
    company = _company()
    yclients_service_id = Varchar(length=50, null=True, default=None)
    title = Varchar(length=255, null=False, default=None)
    category = Varchar(length=255, null=True, default=None, index=True)
    price_min = Numeric(digits=(10, 2), null=True, default=None)
    price_max = Numeric(digits=(10, 2), null=True, default=None)
    duration_minutes = Integer(default=60)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    services_company_yclients_id_key = Unique([company, yclients_service_id])
    services_title_not_blank = Check("btrim(title) <> ''")
    services_prices_ordered = Check(
        "price_min IS NULL OR price_max IS NULL OR (0 <= price_min AND price_min <= price_max)"
    )
    services_duration_positive = Check("duration_minutes > 0")


class Staff(Guarded, Table, tablename="staff"):
    id = UUID(primary_key=True)
    company = _company()
    yclients_staff_id = Varchar(length=50, null=True, default=None)
    name = Varchar(length=255, null=False, default=None)
    specialization = Varchar(length=255, null=True, default=None)
    phone = Varchar(length=20, null=True, default=None)
    rating = Numeric(digits=(3, 2), null=True, default=None)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    staff_company_yclients_id_key = Unique([company, yclients_staff_id])
    staff_name_not_blank = Check("btrim(name) <> ''")
    staff_phone_digits = Check("phone IS NULL OR " + PHONE_CHECK)
    staff_rating_range = Check("rating IS NULL OR rating BETWEEN 0 AND 5")


class StaffSchedule(Guarded, Table, tablename="staff_schedules"):
    """One working day of one staff member."""

    id = UUID(primary_key=True)
    company = _company()
    staff = _fk(Staff, "staff_id", OnDelete.cascade)
    date = Date(null=False, default=None, index=True)
    start_time = Time(null=True, default=None)
    end_time = Time(null=True, default=None)
    is_working = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    staff_schedules_staff_date_key = Unique([staff, date])
    staff_schedules_hours_ordered = Check(
        "NOT is_working OR (start_time IS NOT NULL AND end_time IS NOT NULL"
        " AND start_time < end_time)"
    )


class Booking(Guarded, Table, tablename="bookings"):
    """An appointment: business-critical history, so deleting the client,
    service or staff member it names is refused (RESTRICT), while deleting
    the whole company takes it along (CASCADE)."""

    id = UUID(primary_key=True)
    company = _company()
    yclients_record_id = Varchar(length=50, null=True, default=None)
    client = _fk(Client, "client_id", OnDelete.restrict)
    service = _fk(Service, "service_id", OnDelete.restrict, null=True)
    staff = _fk(Staff, "staff_id", OnDelete.restrict, null=True)
    appointment_at = Timestamptz(null=False, default=None, index=True)
    duration_minutes = Integer(default=60)
    status = Varchar(
        length=20, null=False, default=BookingStatus.pending, choices=BookingStatus
    )
    source = Varchar(
        length=20, null=False, default=BookingSource.whatsapp, choices=BookingSource
    )
    price = Numeric(digits=(10, 2), null=True, default=None)
    notes = Text(null=True, default=None)
    # The booking as YClients returned it, for fields not promoted to columns.
    booking_data = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    bookings_company_yclients_id_key = Unique([company, yclients_record_id])
    bookings_status_check = values_check("status", BookingStatus)
    bookings_source_check = values_check("source", BookingSource)
    bookings_duration_positive = Check("duration_minutes > 0")
    bookings_price_not_negative = Check("price IS NULL OR price >= 0")


class AppointmentCache(Guarded, Table, tablename="appointments_cache"):
    """YClients appointments cached until ``expires_at``."""

    id = UUID(primary_key=True)
    company = _company()
    yclients_record_id = Varchar(length=50, null=False, default=None)
    phone = Varchar(length=20, null=True, default=None, index=True)
    appointment_at = Timestamptz(null=True, default=None)
    data = JSONB(default={})
    cached_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=False, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    appointments_cache_company_record_key = Unique([company, yclients_record_id])
    appointments_cache_phone_digits = Check("phone IS NULL OR " + PHONE_CHECK)


class DialogContext(Guarded, Table, tablename="dialog_contexts"):
    """Where a WhatsApp conversation stands, until ``expires_at``."""

    id = UUID(primary_key=True)
    company = _company()
    phone = Varchar(length=20, null=False, default=None, index=True)
    # A dialog outlives its client row: SET NULL keeps the conversation.
    client = _fk(Client, "client_id", OnDelete.set_null, null=True)
    state = Varchar(length=30, null=False, default=DialogState.idle, choices=DialogState)
    context = JSONB(default={})
    message_count = Integer(default=0)
    last_message_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=False, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    dialog_contexts_company_phone_key = Unique([company, phone])
    dialog_contexts_phone_digits = Check(PHONE_CHECK)
    dialog_contexts_state_check = values_check("state", DialogState)
    dialog_contexts_message_count_not_negative = Check("message_count >= 0")


class Reminder(Guarded, Table, tablename="reminders"):
    id = UUID(primary_key=True)
    company = _company()
    # A reminder exists for its booking only.
    booking = _fk(Booking, "booking_id", OnDelete.cascade)
    reminder_type = Varchar(length=20, null=False, default=None, choices=ReminderType)
    scheduled_for = Timestamptz(null=False, default=None, index=True)
    status = Varchar(
        length=20, null=False, default=ReminderStatus.pending, choices=ReminderStatus
    )
    sent_at = Timestamptz(null=True, default=None)
    error_message = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    reminders_booking_type_key = Unique([booking, reminder_type])
    reminders_reminder_type_check = values_check("reminder_type", ReminderType)
    reminders_status_check = values_check("status", ReminderStatus)
    reminders_sent_when_sent = Check("(status = 'sent') = (sent_at IS NOT NULL)")


class SyncStatus(Guarded, Table, tablename="sync_status"):
    """Where the YClients sync of one kind of entity stands, per company."""

    id = UUID(primary_key=True)
    company = _company()
    entity_type = Varchar(length=20, null=False, default=None, choices=SyncEntity)
    status = Varchar(length=20, null=False, default=SyncState.idle, choices=SyncState)
    last_sync_at = Timestamptz(null=True, default=None)
    last_success_at = Timestamptz(null=True, default=None)
    records_synced = Integer(default=0)
    error_message = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    sync_status_company_entity_key = Unique([company, entity_type])
    sync_status_entity_type_check = values_check("entity_type", SyncEntity)
    sync_status_status_check = values_check("status", SyncState)
    sync_status_records_not_negative = Check("records_synced >= 0")


class Message(Guarded, Table, tablename="messages"):
    """WhatsApp messages. In the database this is a table partitioned by
    month on ``created_at`` with primary key (id, created_at) and a DEFAULT
    partition (see the ``messages_partitioned`` migration); this class
    describes its columns, so ORM queries and ``--auto`` work as usual.
    Nothing can reference it: its primary key includes the partition key.
    Messages link to clients by (company, phone), not by a foreign key, to
    keep the hottest table's inserts cheap."""

    id = UUID(primary_key=True)
    # Indexed by the partitioned indexes (company_id, phone, created_at) etc.
    company = _fk(Company, "company_id", OnDelete.cascade, index=False)
    phone = Varchar(length=20, null=False, default=None)
    direction = Varchar(length=10, null=False, default=None, choices=MessageDirection)
    message_type = Varchar(
        length=20, null=False, default=MessageType.text, choices=MessageType
    )
    status = Varchar(
        length=20, null=False, default=MessageStatus.received, choices=MessageStatus
    )
    content = Text(null=True, default=None)
    whatsapp_message_id = Varchar(length=100, null=True, default=None)
    metadata = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())

    messages_phone_digits = Check(PHONE_CHECK)
    messages_direction_check = values_check("direction", MessageDirection)
    messages_message_type_check = values_check("message_type", MessageType)
    messages_status_check = values_check("status", MessageStatus)

    @classmethod
    async def insert_bulk(cls, messages: Iterable[Mapping]) -> int:
        """Store many messages (mappings of column names; ``id`` is made by
        the database, ``created_at`` defaults to now) in one binary COPY: all
        or nothing. A bad message raises ``InvalidMessage`` naming its index,
        column and value. Returns how many were stored."""
        records = message_rows.Records(messages)
        try:
            return await copy_rows(cls, message_rows.COLUMNS, records)
        except asyncpg.ForeignKeyViolationError:
            known = await fetch(
                Company,
                "SELECT id FROM public.companies WHERE id = ANY($1::uuid[])",
                list(records.first_of_company),
            )
            raise records.unknown_company({r["id"] for r in known}) from None

    @classmethod
    async def recent(
        cls, phone: str, company_id, limit: int = 50, *, stale_ok: bool = False
    ) -> list[dict]:
        """The newest ``limit`` messages between a company and a phone.

        ``stale_ok``: a read replica within its lag bound may answer
        (``platform_db.database.replicas``), for a caller that can miss the messages
        of the last moments (a history page, an export). The default reads
        the primary: a bot reads its own just-stored messages."""
        return await fetch(
            cls,
            "SELECT * FROM public.get_recent_messages($1, $2, $3)",
            normalize_phone(phone, cls._meta.tablename),
            company_id,
            limit,
            stale_ok=stale_ok,
        )

    @classmethod
    async def create_partition(cls, month: date) -> dict:
        """The partition of ``month`` (made if missing, with the rows the
        DEFAULT partition held for it): ``partition_name``, ``created``,
        ``rows_moved``."""
        rows = await fetch(cls, "SELECT * FROM public.create_messages_partition($1)", month)
        return rows[0]

    @classmethod
    async def partition_plan(
        cls, months_ahead: int = 5, retention_months: int = 6, keep_tables: bool = False
    ) -> partitions.Plan:
        """What maintenance would do (``business.partitions``), changing
        nothing: the months ahead to create, the partitions older than
        ``retention_months`` whole months before this one to drop (or detach
        and keep, with ``keep_tables``), DEFAULT's old rows to purge, each
        with its row count."""
        return await partitions.plan(cls, months_ahead, retention_months, keep_tables)

    @classmethod
    async def apply_partition_plan(cls, plan: partitions.Plan) -> list[dict]:
        """Carry out ``plan``'s steps, each committed on its own; what was done."""
        return await partitions.apply(cls, plan)

    @classmethod
    async def maintain_partitions(
        cls, months_ahead: int = 5, retention_months: int = 6, keep_tables: bool = False
    ) -> list[dict]:
        """Plan and apply at once, for code that has decided; the command and
        the admin show the plan first."""
        plan = await cls.partition_plan(months_ahead, retention_months, keep_tables)
        return await cls.apply_partition_plan(plan)

    @classmethod
    async def partition_stats(cls, exact: bool = False) -> list[dict]:
        """Rows and size of each partition: row counts from the catalog's
        estimates (no scan), or counted with ``exact`` (a scan of every
        partition, on a read replica when one is fit; ``business.maintenance``
        says why the estimates stay on the primary)."""
        return await fetch(
            cls, "SELECT * FROM public.get_messages_stats($1)", exact, stale_ok=exact
        )


class WhatsAppAuthKey(EncryptedAtRest, Guarded, Table, tablename="whatsapp_auth_keys"):
    """Baileys' WhatsApp auth key store, one row per (company, type, key id).
    Seed 004 assumes it exists; here this app owns it, so that
    ``cleanup_expired_whatsapp_keys()`` and ``get_whatsapp_auth_stats()``
    have a table to work on.

    ``value`` is private key material (Baileys session keys), encrypted at
    rest like the ServiceTitan secrets: the column holds a JSON string, the
    Fernet token of the value's JSON text (``encryption.encrypt_json``).
    ``write_keys`` / ``read_keys`` are Baileys' ``keys.set`` / ``keys.get``;
    ``create`` and ``change`` encrypt too."""

    id = UUID(primary_key=True)
    company = _company()
    key_type = Varchar(length=30, null=False, default=None, choices=WhatsAppKeyType)
    key_id = Varchar(length=255, null=False, default=None)
    # Ciphertext; secret, so exclude_secrets leaves it out and the admin
    # never shows, filters or writes it.
    value = JSONB(secret=True)
    # NULL: never expires (long-lived identity keys).
    expires_at = Timestamptz(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    whatsapp_auth_keys_company_key = Unique([company, key_type, key_id])
    whatsapp_auth_keys_key_type_check = values_check("key_type", WhatsAppKeyType)

    # Kept under the newest key by rotate_encryption() (platform_db.secrets.key_rotation).
    ENCRYPTED_COLUMNS = ("value",)

    @classmethod
    def encrypted_value(cls, value) -> str:
        """``value`` (a JSON-serializable value, or JSON text) as stored."""
        try:
            return encryption.encrypt_json(value)
        except ValueError as exc:
            raise DataRejected(cls._meta.tablename, "value", SECRET_SHOWN, str(exc)) from None

    @classmethod
    async def create(cls, **values) -> WhatsAppAuthKey:
        """``Guarded.create``, with ``value`` given in plaintext and stored encrypted."""
        if values.get("value") is not None:
            values["value"] = cls.encrypted_value(values["value"])
        return await super().create(**values)

    async def change(self, **values) -> None:
        """``Guarded.change``, with ``value`` given in plaintext and stored encrypted."""
        if values.get("value") is not None:
            values["value"] = type(self).encrypted_value(values["value"])
        await super().change(**values)

    @classmethod
    async def write_keys(
        cls, company_id, key_type: str, values: Mapping[str, object], expires_at=None
    ) -> None:
        """Store a company's keys of one type, in one transaction: each key
        id's value encrypted, inserted or replaced (with ``expires_at``); a
        None value deletes that key."""
        checked = cls._checked(
            {"company": _id(company_id), "key_type": key_type, "expires_at": expires_at}
        )
        for key_id in values:
            cls._checked({"key_id": key_id})
        stored = {k: cls.encrypted_value(v) for k, v in values.items() if v is not None}
        deleted = [k for k, v in values.items() if v is None]
        table = cls._meta.tablename
        async with rejecting(cls, checked), connection(cls) as conn, conn.transaction():
            await conn.execute(
                f"DELETE FROM {table} WHERE company_id = $1 AND key_type = $2"
                " AND key_id = ANY($3::text[])",
                checked["company"], checked["key_type"], deleted,
            )  # fmt: skip
            await conn.execute(
                f"""
                INSERT INTO {table} (company_id, key_type, key_id, value, expires_at)
                SELECT $1, $2, k.key_id, k.value::jsonb, $5
                FROM unnest($3::text[], $4::text[]) AS k (key_id, value)
                ON CONFLICT (company_id, key_type, key_id)
                DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                """,
                checked["company"], checked["key_type"], list(stored), list(stored.values()),
                checked["expires_at"],
            )  # fmt: skip

    @classmethod
    async def read_keys(cls, company_id, key_type: str, key_ids: Iterable[str]) -> dict:
        """The decrypted values of those of ``key_ids`` that are stored and
        not expired, by key id."""
        checked = cls._checked({"company": _id(company_id), "key_type": key_type})
        rows = await fetch(
            cls,
            f"SELECT key_id, value::text AS stored FROM {cls._meta.tablename}"
            " WHERE company_id = $1 AND key_type = $2 AND key_id = ANY($3::text[])"
            " AND (expires_at IS NULL OR expires_at > now())",
            checked["company"],
            checked["key_type"],
            list(key_ids),
        )
        return {r["key_id"]: encryption.decrypt_json(r["stored"]) for r in rows}
