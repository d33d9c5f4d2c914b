"""Choices of the business tables' status and type columns (seed 004).

Each is enforced twice: by Piccolo's ``choices`` in Python and by a CHECK
built with ``platform_db.values.choices.values_check`` in the database.
"""

from enum import Enum


class BookingStatus(str, Enum):
    pending = "pending"
    confirmed = "confirmed"
    completed = "completed"
    cancelled = "cancelled"
    no_show = "no_show"


class BookingSource(str, Enum):
    whatsapp = "whatsapp"
    yclients = "yclients"
    admin = "admin"


class DialogState(str, Enum):
    idle = "idle"
    selecting_service = "selecting_service"
    selecting_staff = "selecting_staff"
    selecting_time = "selecting_time"
    confirming = "confirming"
    completed = "completed"


class ReminderType(str, Enum):
    day_before = "day_before"
    hours_before = "hours_before"
    custom = "custom"


class ReminderStatus(str, Enum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class SyncEntity(str, Enum):
    company = "company"
    clients = "clients"
    services = "services"
    staff = "staff"
    schedules = "schedules"
    bookings = "bookings"


class SyncState(str, Enum):
    idle = "idle"
    running = "running"
    success = "success"
    failed = "failed"


class MessageDirection(str, Enum):
    incoming = "incoming"
    outgoing = "outgoing"


class MessageType(str, Enum):
    text = "text"
    image = "image"
    audio = "audio"
    video = "video"
    document = "document"
    location = "location"
    other = "other"


class MessageStatus(str, Enum):
    received = "received"
    pending = "pending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class WhatsAppKeyType(str, Enum):
    """The key kinds of Baileys' auth state (``SignalDataTypeMap``)."""

    pre_key = "pre-key"
    session = "session"
    sender_key = "sender-key"
    sender_key_memory = "sender-key-memory"
    app_state_sync_key = "app-state-sync-key"
    app_state_sync_version = "app-state-sync-version"
