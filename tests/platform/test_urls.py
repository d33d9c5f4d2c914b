"""Database URLs in messages: never the password, in any form a libpq or
asyncpg connection string can carry it (``platform_db.database.urls.redacted``),
on a command's stderr as on the pooler's and the replicas' refusals."""

import pytest

from platform_db.database.replicas import replica_urls
from platform_db.database.urls import redacted
from tests.conftest import TEST_DATABASE_URL
from tests.support.commands import run_piccolo

SECRET = "s3cr3t-pw"


@pytest.mark.parametrize(
    "url, shown",
    [
        (
            "postgresql://app:s3cr3t-pw@db.example:5432/platform",
            "postgresql://app:***@db.example:5432/platform",
        ),
        (
            "postgres://app:s3cr3t-pw@/platform?host=/run/pg",
            "postgres://app:***@/platform?host=/run/pg",
        ),
        ("postgresql://app:s3cr3t-pw@db", "postgresql://app:***@db"),
        (
            "postgresql://app:s3cr3t-pw@db?sslmode=require",
            "postgresql://app:***@db?sslmode=require",
        ),
        # characters libpq takes unescaped in the user-info
        ("postgresql://app:s3cr3t?pw@db/platform", "postgresql://app:***@db/platform"),
        ("postgresql://app:s3cr3t@pw@db/platform", "postgresql://app:***@db/platform"),
        (
            "postgresql://app:s3cr3t%40pw@h1:5432,h2:5433/platform",
            "postgresql://app:***@h1:5432,h2:5433/platform",
        ),
        # as a parameter, in any case, its name percent-encoded, among others
        (
            "postgresql://app@db/platform?password=s3cr3t-pw",
            "postgresql://app@db/platform?password=***",
        ),
        (
            "postgresql://app@db/platform?sslmode=require&password=s3cr3t-pw&application_name=x",
            "postgresql://app@db/platform?sslmode=require&password=***&application_name=x",
        ),
        (
            "postgresql://app@db/platform?pass%77ord=s3cr3t-pw",
            "postgresql://app@db/platform?pass%77ord=***",
        ),
        (
            "postgresql://app@db/platform?PASSWORD=s3cr3t-pw",
            "postgresql://app@db/platform?PASSWORD=***",
        ),
        (
            "postgresql://app@db/platform?sslpassword=s3cr3t-pw",
            "postgresql://app@db/platform?sslpassword=***",
        ),
        # libpq reads a # as part of the value, urlsplit as a fragment
        (
            "postgresql://app@db/platform?password=s3cr3t#pw",
            "postgresql://app@db/platform?password=***",
        ),
        (
            "postgresql://app@db/platform?sslmode=require#password=s3cr3t-pw",
            "postgresql://app@db/platform?sslmode=require#password=***",
        ),
        (
            "postgresql://app:s3cr3t-pw@db?application_name=a@b",
            "postgresql://app:***@db?application_name=a@b",
        ),
        (
            "postgresql://app@db/platform?dbname=host%3Ddb%20password%3Ds3cr3t-pw",
            "postgresql://app@db/platform?dbname=***",
        ),
        # a key/value connection string, given where a URL was expected
        ("host=db password=s3cr3t-pw dbname=platform", "host=db password=*** dbname=platform"),
        (
            "host=db password = 's3cr3t pw' dbname=platform",
            "host=db password = *** dbname=platform",
        ),
        # nothing to hide
        ("postgresql://app@db/platform", "postgresql://app@db/platform"),
        (
            "postgresql://postgres@/platform?host=/tmp/pg&port=5433",
            "postgresql://postgres@/platform?host=/tmp/pg&port=5433",
        ),
    ],
)
def test_a_url_is_shown_without_its_password(url, shown):
    assert redacted(url) == shown
    assert "s3cr3t" not in redacted(url)


def with_password(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}password={SECRET}"


def test_a_command_names_its_database_without_a_password_given_as_a_parameter(migrated):
    done = run_piccolo(
        "migrations", "check", url=with_password(TEST_DATABASE_URL), PLATFORM_DB_QUIET="0"
    )
    assert done.returncode == 0, done.stderr
    assert "[platform-data] database: " in done.stderr
    assert "password=***" in done.stderr
    assert SECRET not in done.stderr + done.stdout


def test_a_refused_replica_url_is_named_without_its_password():
    with pytest.raises(ValueError) as refused:
        replica_urls({"DATABASE_REPLICA_URLS": f"host=replica password={SECRET}"})
    assert str(refused.value) == (
        "DATABASE_REPLICA_URLS holds 'host=replica password=***', which is not a "
        "postgresql:// URL"
    )
