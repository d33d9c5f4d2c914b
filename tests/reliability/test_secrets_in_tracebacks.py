"""A refused write is logged as a traceback without the secret PostgreSQL
quoted in its DETAIL (``Key (token_hash)=(...)``, ``Failing row contains
(...)``): ``DataRejected`` masks the value, and does not chain the error that
holds it."""

import hashlib
import logging
import traceback
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from platform_db.values.rejections import SECRET_SHOWN, DataRejected
from reporting.tables import Session
from tests.reporting.rows import insert_user
from tests.servicetitan.conftest import CLIENT_SECRET


def logged(caplog, exc: BaseException) -> str:
    """What a logged traceback of ``exc`` holds, and its plain formatting."""
    logging.getLogger("app").error("write refused", exc_info=exc)
    return caplog.text + "".join(traceback.format_exception(exc))


@pytest.fixture
async def user(conn):
    user_id = await insert_user(conn)
    yield user_id
    await conn.execute("DELETE FROM users WHERE id = $1", user_id)


async def test_a_duplicate_token_hash_is_not_in_the_logged_traceback(user, caplog):
    token_hash = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    expires = datetime.now(timezone.utc) + timedelta(days=1)
    await Session.create(user=user, token_hash=token_hash, expires_at=expires)
    with pytest.raises(DataRejected) as refused:
        await Session.create(user=user, token_hash=token_hash, expires_at=expires)
    assert refused.value.column == "token_hash" and refused.value.value == SECRET_SHOWN
    assert refused.value.sqlstate == "23505"  # what the chained error told, kept
    text = logged(caplog, refused.value)
    assert "sessions.token_hash" in text  # the refusal itself is logged
    assert token_hash not in text


async def test_a_refused_credential_row_is_not_in_the_logged_traceback(credential, caplog):
    with pytest.raises(DataRejected) as refused:
        await credential.change(tenant_id=-5)
    assert refused.value.column == "tenant_id"
    assert refused.value.constraint == "servicetitan_credentials_tenant_id_positive"
    text = logged(caplog, refused.value)
    assert "tenant_id" in text
    assert "gAAAA" not in text and CLIENT_SECRET not in text
