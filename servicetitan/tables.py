"""ServiceTitan credentials and sync logs, exactly as seed 000's DDL.

Seed 000 types every timestamp as ``TIMESTAMP`` (without time zone); here
they hold UTC (every connection of the project runs with ``timezone=UTC``).
The seed's seven named indexes, the ``updated_at`` trigger and the
``processing_time_seconds`` trigger are raw SQL in the migrations, since
Piccolo cannot name an index or declare a trigger.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamp,
    Varchar,
)
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from business.tables import Company
from platform_db.secrets import encryption
from platform_db.secrets.key_rotation import EncryptedAtRest
from platform_db.values.choices import values_check
from platform_db.values.clock import UtcNow, as_utc_naive, utc_now_naive
from platform_db.values.guarded import Guarded
from platform_db.values.rejections import DataRejected, rejecting
from servicetitan.enums import ConnectionStatus, DataType, Environment, SyncStatus, SyncType


@dataclass(frozen=True, repr=False)
class StoredToken:
    """A credential's client id and secret and its stored access token
    (decrypted), with the database's clock when they were read; its repr
    never shows a secret."""

    client_id: str
    client_secret: str
    access_token: str | None
    expires_at: datetime | None
    now: datetime

    def usable(self, margin: timedelta, rejected: str | None = None) -> bool:
        """The access token may still be used for ``margin`` (and is not the
        one ``rejected`` by ServiceTitan)."""
        return (
            self.access_token is not None
            and self.access_token != rejected
            and self.expires_at is not None
            and self.expires_at - self.now > margin
        )

    def __repr__(self) -> str:
        return f"StoredToken(<hidden>, expires_at={self.expires_at})"


@dataclass(frozen=True, repr=False)
class CredentialSecrets:
    """Decrypted secrets of one credential; its repr never shows them."""

    client_secret: str
    access_token: str | None
    refresh_token: str | None

    def __repr__(self) -> str:
        return "CredentialSecrets(<hidden>)"


class SyncLogNotRunning(RuntimeError):
    """Only a running sync log can be completed or failed."""


class InvalidSyncCounts(DataRejected):
    """Counts that are negative, not integers, or that do not add up."""


class ServiceTitanCredential(EncryptedAtRest, Guarded, Table, tablename="servicetitan_credentials"):
    id = UUID(primary_key=True)
    company = ForeignKey(
        Company,
        db_column_name="company_id",
        null=False,
        on_delete=OnDelete.cascade,
    )
    environment = Varchar(length=20, null=False, default=None, choices=Environment)
    client_id = Text(null=False, default=None)
    # Fernet ciphertext (platform_db.secrets.encryption); never plaintext.
    client_secret = Text(null=False, default=None, secret=True)
    access_token = Text(null=True, default=None, secret=True)
    refresh_token = Text(null=True, default=None, secret=True)
    token_expires_at = Timestamp(null=True, default=None)
    connection_status = Varchar(
        length=20, null=False, default=ConnectionStatus.inactive, choices=ConnectionStatus
    )
    last_connection_attempt = Timestamp(null=True, default=None)
    created_at = Timestamp(null=False, default=UtcNow())
    updated_at = Timestamp(null=False, default=UtcNow())
    # Beyond seed 000: the ServiceTitan tenant these credentials act for, which
    # every API call and the raw cache need. Null until it is known.
    tenant_id = BigInt(null=True, default=None)
    # Why the last connection attempt failed, as ServiceTitan answered it
    # (or that it could not be reached); NULL after a success. Never a
    # secret: servicetitan.api builds it from ServiceTitan's error only.
    connection_error = Text(null=True, default=None)

    servicetitan_credentials_company_id_environment_key = Unique([company, environment])
    servicetitan_credentials_environment_check = values_check("environment", Environment)
    servicetitan_credentials_connection_status_check = values_check(
        "connection_status", ConnectionStatus
    )
    servicetitan_credentials_tenant_id_positive = Check("tenant_id > 0")
    # One company per ServiceTitan tenant and environment: the raw cache is
    # keyed by tenant alone, so two companies on one tenant would share it.
    servicetitan_credentials_tenant_id_environment_key = Unique([tenant_id, environment])

    SECRET_COLUMNS = ("client_secret", "access_token", "refresh_token")
    # Kept under the newest key by rotate_encryption() (platform_db.secrets.key_rotation).
    ENCRYPTED_COLUMNS = SECRET_COLUMNS

    @classmethod
    def _encrypted(cls, values: dict) -> dict:
        """``values`` with each plaintext secret encrypted (None stays None)."""
        return {
            name: (
                encryption.encrypt(value)
                if name in cls.SECRET_COLUMNS and isinstance(value, str)
                else value
            )
            for name, value in values.items()
        }

    @classmethod
    async def create(cls, **values) -> ServiceTitanCredential:
        """``Guarded.create``, with the secrets given in plaintext and stored encrypted."""
        return await super().create(**cls._encrypted(values))

    async def change(self, **values) -> None:
        """``Guarded.change``, with the secrets given in plaintext and stored
        encrypted. A new client id or secret has not been tried yet: unless
        the change says otherwise, the credential becomes ``inactive`` (one
        ServiceTitan rejected, ``error``, is then tried by the sync queue again)."""
        if {"client_id", "client_secret"} & set(values) and "connection_status" not in values:
            values = {**values, "connection_status": ConnectionStatus.inactive.value}
        await super().change(**type(self)._encrypted(values))

    @classmethod
    async def register(
        cls,
        company_id,
        environment: str,
        client_id: str,
        client_secret: str,
        tenant_id: int | None = None,
    ) -> ServiceTitanCredential:
        """Store a company's client credentials, the secret encrypted, with
        the ServiceTitan tenant they act for (every sync needs it; set it
        later with ``change(tenant_id=...)`` if it is not known yet)."""
        return await cls.create(
            company=company_id,
            environment=environment,
            client_id=client_id,
            client_secret=client_secret,
            tenant_id=tenant_id,
        )

    async def record_token_refresh(
        self, access_token: str, refresh_token: str | None, expires_at: datetime
    ) -> None:
        """Store a new token pair in one UPDATE: concurrent refreshes never mix.
        (ServiceTitan issues no refresh token: ``servicetitan.api.tokens``
        stores None.)"""
        cls = type(self)
        values = {
            cls.access_token: encryption.encrypt(access_token),
            cls.refresh_token: encryption.encrypt(refresh_token),
            cls.token_expires_at: as_utc_naive(expires_at),
            cls.connection_status: ConnectionStatus.active.value,
            cls.last_connection_attempt: utc_now_naive(),
            cls.connection_error: None,
        }
        await self._record(values)

    async def record_connection_failure(self, reason: str | None = None, rejected=True) -> None:
        """A connection attempt failed for ``reason``. ``rejected``: ServiceTitan
        refused the credentials (status ``error``); else it could not be
        reached or answered badly, which says nothing of the credentials:
        their status stays."""
        cls = type(self)
        values = {
            cls.last_connection_attempt: utc_now_naive(),
            cls.connection_error: reason,
        }
        if rejected:
            values[cls.connection_status] = ConnectionStatus.error.value
        await self._record(values)

    async def _record(self, values: dict) -> None:
        cls = type(self)
        await cls.update(values).where(cls.id == self.id)
        for column, value in values.items():
            setattr(self, column._meta.name, value)

    async def stored_token(self) -> StoredToken:
        """What is stored of the token now (decrypted), by the database's clock."""
        cls = type(self)
        rows = await cls.raw(
            f"""
            SELECT client_id, client_secret, access_token, token_expires_at AS expires_at,
                   clock_timestamp() AT TIME ZONE 'UTC' AS now
            FROM {cls._meta.tablename}
            WHERE id = {{}}
            """,
            self.id,
        )
        if not rows:
            raise LookupError(f"servicetitan_credentials has no row with id {self.id}")
        row = rows[0]
        return StoredToken(
            client_id=row["client_id"],
            client_secret=encryption.decrypt(row["client_secret"]),
            access_token=encryption.decrypt(row["access_token"]),
            expires_at=row["expires_at"],
            now=row["now"],
        )

    @asynccontextmanager
    async def token_lock(self) -> AsyncIterator[StoredToken]:
        """One token refresh at a time for this credential, across processes
        and machines: a transaction holding an advisory lock on the
        credential (one transaction, so safe behind PgBouncer in
        transaction mode; released if the process dies). Yields what is
        stored once the lock is held: a process that waited sees the token
        the one before it obtained. ``record_token_refresh`` and
        ``record_connection_failure`` inside the block commit with it."""
        cls = type(self)
        async with cls._meta.db.transaction():
            await cls.raw(
                "SELECT pg_advisory_xact_lock(hashtextextended({}, 0))",
                f"servicetitan_credentials token {self.id}",
            )
            yield await self.stored_token()

    async def secrets(self) -> CredentialSecrets:
        """Read and decrypt this credential's secrets from the database."""
        cls = type(self)
        row = (
            await cls.select(
                cls.client_secret, cls.access_token, cls.refresh_token, exclude_secrets=False
            )
            .where(cls.id == self.id)
            .first()
        )
        if row is None:
            raise LookupError(f"servicetitan_credentials has no row with id {self.id}")
        return CredentialSecrets(**{k: encryption.decrypt(v) for k, v in row.items()})

    @classmethod
    def get_readable(cls) -> Readable:
        """How a credential is named where others point to it (e.g. the admin):
        its company and environment, never a secret."""
        return Readable(template="%s (%s)", columns=[cls.company.name, cls.environment])

    @classmethod
    def _secret_columns(cls):
        return [getattr(cls, name) for name in cls.SECRET_COLUMNS]

    def __repr__(self) -> str:
        return (
            f"<ServiceTitanCredential: {getattr(self, 'id', None)} "
            f"{getattr(self, 'environment', None)} {getattr(self, 'connection_status', None)}>"
        )

    # Piccolo's Table.__str__ prints the row as an INSERT, ciphertext included.
    __str__ = __repr__


class ServiceTitanSyncLog(Guarded, Table, tablename="servicetitan_sync_logs"):
    id = UUID(primary_key=True)
    servicetitan_credential = ForeignKey(
        ServiceTitanCredential,
        db_column_name="servicetitan_credential_id",
        null=False,
        on_delete=OnDelete.cascade,
    )
    sync_type = Varchar(length=20, null=False, default=None, choices=SyncType)
    data_type = Varchar(length=20, null=False, default=None, choices=DataType)
    status = Varchar(length=20, null=False, default=None, choices=SyncStatus)
    started_at = Timestamp(null=False, default=UtcNow())
    completed_at = Timestamp(null=True, default=None)
    records_processed = Integer(null=True, default=0)
    records_successful = Integer(null=True, default=0)
    records_failed = Integer(null=True, default=0)
    error_message = Text(null=True, default=None)
    error_details = JSON(null=True, default=None)
    # Set by a trigger from started_at / completed_at, never typed in.
    processing_time_seconds = Integer(null=True, default=None)

    servicetitan_sync_logs_sync_type_check = values_check("sync_type", SyncType)
    # Not the seed's constraint name: DataType gained the cache's entities, and
    # Piccolo diffs constraints by name only, so each widened CHECK is a new
    # constraint (drop + add) rather than a silently stale one; the number
    # counts the values.
    servicetitan_sync_logs_data_type_8_values = values_check("data_type", DataType)
    servicetitan_sync_logs_status_check = values_check("status", SyncStatus)
    servicetitan_sync_logs_counts_not_negative = Check(
        "records_processed >= 0 AND records_successful >= 0 AND records_failed >= 0"
    )
    servicetitan_sync_logs_counts_add_up = Check(
        "coalesce(records_successful, 0) + coalesce(records_failed, 0)"
        " <= coalesce(records_processed, 0)"
    )
    servicetitan_sync_logs_completion_matches_status = Check(
        "(status = 'running') = (completed_at IS NULL)"
    )
    servicetitan_sync_logs_completed_after_start = Check(
        "completed_at IS NULL OR completed_at >= started_at"
    )

    @classmethod
    async def start(
        cls, credential_id, sync_type: str, data_type: str, log_id: uuid.UUID | None = None
    ) -> ServiceTitanSyncLog:
        """Open a log in status ``running`` (with the id ``log_id`` if given:
        a run takes its log's lock before the log exists, ``servicetitan.
        sync.abandoned``). ``started_at`` comes from the database's clock, as
        ``completed_at`` will: a host whose clock is off does not distort
        ``processing_time_seconds``."""
        if isinstance(credential_id, ServiceTitanCredential):
            credential_id = credential_id.id
        values = cls._checked(
            {
                "servicetitan_credential": credential_id,
                "sync_type": sync_type,
                "data_type": data_type,
                "status": SyncStatus.running.value,
            }
        )
        async with rejecting(cls, values):
            rows = await cls.raw(
                f"""
                INSERT INTO {cls._meta.tablename}
                    (id, servicetitan_credential_id, sync_type, data_type, status, started_at)
                VALUES (coalesce({{}}::uuid, gen_random_uuid()), {{}}, {{}}, {{}}, {{}},
                        clock_timestamp() AT TIME ZONE 'UTC')
                RETURNING id, started_at
                """,
                log_id,
                *values.values(),
            )
        return cls(**values, **rows[0], _exists_in_db=True)

    async def record_progress(
        self, connection, processed: int, successful: int, failed: int
    ) -> None:
        """The running log's counts so far, written on ``connection`` (a sync
        page's transaction): a run stopped without a word (``kill -9``)
        leaves the counts of the pages it cached."""
        self._check_counts(processed, successful, failed)
        done = await connection.execute(
            f"""
            UPDATE {type(self)._meta.tablename}
            SET records_processed = $2, records_successful = $3, records_failed = $4
            WHERE id = $1 AND status = 'running'
            """,
            self.id,
            processed,
            successful,
            failed,
        )
        if done != "UPDATE 1":
            raise SyncLogNotRunning(
                f"sync log {self.id} is not running (already completed or failed, or deleted)"
            )
        self.records_processed, self.records_successful, self.records_failed = (
            processed,
            successful,
            failed,
        )

    async def complete(
        self, processed: int, successful: int, failed: int, error_details=None
    ) -> None:
        """Close a running log as ``completed`` with its counts; ``error_details``
        (JSON) can say what the failed records were."""
        await self._finish(
            SyncStatus.completed,
            processed,
            successful,
            failed,
            None,
            self._json_details(error_details),
        )

    async def fail(
        self,
        error_message: str,
        error_details=None,
        processed: int = 0,
        successful: int = 0,
        failed: int = 0,
    ) -> None:
        """Close a running log as ``failed`` with the reason and JSON details."""
        await self._finish(
            SyncStatus.failed,
            processed,
            successful,
            failed,
            error_message,
            self._json_details(error_details),
        )

    @staticmethod
    def _json_details(error_details) -> str | None:
        try:
            return None if error_details is None else json.dumps(error_details)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"servicetitan_sync_logs.error_details must be JSON-serializable: {exc}"
            ) from None

    async def _finish(self, status, processed, successful, failed, message, details) -> None:
        self._check_counts(processed, successful, failed)
        cls = type(self)
        # One statement: only a running log moves, and completed_at comes from
        # the database clock, never before started_at.
        rows = await cls.raw(
            f"""
            UPDATE {cls._meta.tablename}
            SET status = {{}},
                completed_at = greatest(started_at, clock_timestamp() AT TIME ZONE 'UTC'),
                records_processed = {{}},
                records_successful = {{}},
                records_failed = {{}},
                error_message = {{}},
                error_details = {{}}::json
            WHERE id = {{}} AND status = 'running'
            RETURNING completed_at, processing_time_seconds
            """,
            status.value,
            processed,
            successful,
            failed,
            message,
            details,
            self.id,
        )
        if not rows:
            raise SyncLogNotRunning(
                f"sync log {self.id} is not running (already completed or failed, or deleted)"
            )
        self.status = status.value
        self.records_processed, self.records_successful, self.records_failed = (
            processed,
            successful,
            failed,
        )
        self.error_message = message
        self.error_details = details
        self.completed_at = rows[0]["completed_at"]
        self.processing_time_seconds = rows[0]["processing_time_seconds"]

    @staticmethod
    def _check_counts(processed, successful, failed) -> None:
        table = ServiceTitanSyncLog._meta.tablename
        counts = {"processed": processed, "successful": successful, "failed": failed}
        for name, value in counts.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidSyncCounts(
                    table, f"records_{name}", value, "must be a non-negative integer"
                )
        if successful + failed > processed:
            raise InvalidSyncCounts(
                table,
                "records_successful, records_failed",
                {"records_successful": successful, "records_failed": failed},
                f"successful + failed exceed records_processed ({processed})",
            )
