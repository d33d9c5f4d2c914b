"""The sample data, loaded as a user does (``piccolo business
load_sample_data``), counted, queried the way the seed's test script does
(JOINs, aggregations, date ranges), and the other commands run on it."""

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from business.sample_data import SampleDataExists, SampleSize, build, load
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import connect

PROJECT = Path(__file__).resolve().parents[2]
PICCOLO = str(Path(sys.executable).parent / "piccolo")


def run_business(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, "business", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def piccolo_business(*args: str) -> str:
    result = run_business(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_large_load_says_what_it_will_do_and_asks_first(migrated):
    # First in this module: no sample company is loaded yet.
    refused = run_business("load_sample_data", "--scale=1000")
    assert refused.returncode == 1
    assert refused.stdout.strip() == (
        "load seed 4 at scale 1000 (about 7,434,136 rows), built in memory first"
    )
    assert refused.stderr.strip() == "error: not done: pass --yes to go ahead (nothing was changed)"


@pytest.fixture(scope="module")
async def sample(migrated):
    """The sample company's id, loaded by the command; deleted afterwards."""
    loaded = run_business("load_sample_data", "--seed=4", "--replace", "--yes")
    assert loaded.returncode == 0, loaded.stderr
    # the progress bar starts (at 0 rows) once, not once per attempt
    assert len(re.findall(r"\| 0/\d+ ", loaded.stderr)) == 1, loaded.stderr
    output = loaded.stdout
    company_id = re.search(r"company id: ([0-9a-f-]{36})", output).group(1)
    yield company_id
    conn = await connect(TEST_DATABASE_URL)
    try:
        await conn.execute("DELETE FROM companies WHERE id = $1", company_id)
    finally:
        await conn.close()


SEED_COUNTS = {
    "clients": 1299,
    "services": 63,
    "staff": 12,
    "bookings": 38,
    "dialog_contexts": 21,
    "messages": 6000,
}


async def test_the_seeds_volumes_are_loaded(sample, conn):
    for table, expected in SEED_COUNTS.items():
        count = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE company_id = $1", sample)
        assert count == expected, table
    schedules = await conn.fetchval(
        "SELECT count(*) FROM staff_schedules WHERE company_id = $1", sample
    )
    assert schedules >= 56
    months = await conn.fetchval(
        "SELECT count(DISTINCT tableoid) FROM messages WHERE company_id = $1", sample
    )
    assert months >= 4
    in_default = await conn.fetchval(
        "SELECT count(*) FROM messages_default WHERE company_id = $1", sample
    )
    assert in_default == 0


async def test_bookings_join_clients_services_and_staff_in_a_date_range(sample, conn):
    rows = await conn.fetch(
        """
        SELECT b.appointment_at, c.phone, s.title, st.name AS master, b.status
        FROM bookings b
        JOIN clients c ON c.id = b.client_id
        JOIN services s ON s.id = b.service_id
        JOIN staff st ON st.id = b.staff_id
        WHERE b.company_id = $1
          AND b.appointment_at >= now() - interval '7 days'
          AND b.appointment_at < now() + interval '7 days'
        ORDER BY b.appointment_at
        """,
        sample,
    )
    total = await conn.fetchval(
        "SELECT count(*) FROM bookings WHERE company_id = $1"
        " AND appointment_at >= now() - interval '7 days'"
        " AND appointment_at < now() + interval '7 days'",
        sample,
    )
    assert 0 < len(rows) == total < 38
    assert all(re.fullmatch(r"[0-9]{11}", r["phone"]) for r in rows)


async def test_aggregations_per_staff_and_per_month(sample, conn):
    per_staff = await conn.fetch(
        """
        SELECT st.name, count(b.id) AS bookings, coalesce(sum(b.price), 0) AS revenue
        FROM staff st
        LEFT JOIN bookings b ON b.staff_id = st.id AND b.status = 'completed'
        WHERE st.company_id = $1
        GROUP BY st.id, st.name
        """,
        sample,
    )
    assert len(per_staff) == 12
    completed = await conn.fetchval(
        "SELECT count(*) FROM bookings WHERE company_id = $1 AND status = 'completed'", sample
    )
    assert sum(r["bookings"] for r in per_staff) == completed

    per_month = await conn.fetch(
        """
        SELECT date_trunc('month', created_at) AS month, count(*) AS messages,
               count(DISTINCT phone) AS phones
        FROM messages WHERE company_id = $1
        GROUP BY 1 ORDER BY 1
        """,
        sample,
    )
    assert sum(r["messages"] for r in per_month) == 6000
    talkers = await conn.fetch(
        """
        SELECT c.name, count(*) AS messages
        FROM messages m
        JOIN clients c ON c.company_id = m.company_id AND c.phone = m.phone
        WHERE m.company_id = $1
        GROUP BY c.id, c.name ORDER BY messages DESC LIMIT 5
        """,
        sample,
    )
    assert len(talkers) == 5 and talkers[0]["messages"] >= talkers[-1]["messages"]


async def test_recent_messages_of_a_dialog(sample, conn):
    phone = await conn.fetchval(
        "SELECT phone FROM dialog_contexts WHERE company_id = $1 LIMIT 1", sample
    )
    rows = await conn.fetch("SELECT * FROM get_recent_messages($1, $2, 10)", phone, sample)
    assert 0 < len(rows) <= 10
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)


async def test_loading_again_is_refused_without_replace(sample, migrated):
    data = build(4, SampleSize(clients=3, bookings=1, dialog_contexts=1, messages=1), date.today())
    with pytest.raises(SampleDataExists, match="--replace"):
        await load(data)


def test_a_second_seed_names_the_company_loaded_and_its_seed(sample):
    refused = run_business("load_sample_data", "--seed=5")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.strip() == (
        f"error: the sample company is already loaded: 'Test salon' ({sample}; seed 4, scale 1: "
        "1,299 clients, 6,000 messages). --replace deletes it, and all it owns, and loads "
        "seed 5 at scale 1 (about 7,570 rows)"
    )


def test_the_same_seed_and_day_build_the_same_rows():
    size = SampleSize(clients=50, messages=200)
    day = date(2026, 11, 22)
    first, again, other = build(4, size, day), build(4, size, day), build(5, size, day)
    assert first.rows == again.rows
    assert first.rows != other.rows
    assert first.counts()["staff_schedules"] == 60


def test_scale_multiplies_the_volumes():
    assert SampleSize().scaled(3).clients == 3 * 1299
    with pytest.raises(ValueError, match="1 or more"):
        SampleSize().scaled(0)


def test_stats_cleanup_and_maintenance_commands(sample):
    stats = piccolo_business("stats")
    assert re.search(r"^clients\s+\d+\s+\d+ kB", stats, re.M), stats
    assert "messages_default" in stats and "pre-key" in stats
    cleanup = piccolo_business("cleanup", "--yes")
    assert re.search(r"^delete the expired rows: \d+ from dialog_contexts, ", cleanup, re.M), cleanup
    assert re.search(r"^dialog_contexts: \d+ expired rows deleted$", cleanup, re.M), cleanup
    assert piccolo_business("cleanup").strip() == "no expired rows: nothing to do"
    maintain = piccolo_business("maintain_partitions")
    assert maintain.startswith("messages partitions: nothing to do"), maintain
