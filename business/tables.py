"""The salon / WhatsApp booking business (seed 004)."""

from piccolo.columns import (
    JSONB,
    UUID,
    Boolean,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from platform_db.rejections import Guarded


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
