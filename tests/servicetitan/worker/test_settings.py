"""The worker's settings: defaults, per-feed periods, and a one-line refusal
naming the variable for each value that cannot be used."""

from __future__ import annotations

import pytest

from servicetitan.worker.schedule import tick_cron
from servicetitan.worker.settings import FEEDS, InvalidSetting, Settings


def test_defaults():
    s = Settings.from_environment({})
    assert s.every == {feed: 600 for feed in FEEDS}
    assert (s.caught_up_rest, s.tick, s.heartbeat, s.stalled_after) == (300, 60, 10, 30)
    assert (s.retry_backoff, s.retry_attempts, s.jobs_kept_hours) == (30, 5, 168)


def test_the_feeds_synced():
    s = Settings.from_environment({"SERVICETITAN_SYNC_FEEDS": "jobs, customers,invoices"})
    assert s.feeds == ("customers", "jobs", "invoices")
    assert Settings.from_environment({}).feeds == FEEDS


def test_durations_and_a_feed_of_its_own():
    s = Settings.from_environment(
        {
            "SERVICETITAN_SYNC_EVERY": "15min",
            "SERVICETITAN_SYNC_EVERY_APPOINTMENT_ASSIGNMENTS": "90s",
            "SERVICETITAN_JOBS_KEPT": "2d",
            "SERVICETITAN_SCHEDULE_TICK": "2.5",
        }
    )
    assert s.every["jobs"] == 900 and s.every["appointment_assignments"] == 90
    assert s.jobs_kept_hours == 48 and s.tick == 2.5


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("SERVICETITAN_SYNC_EVERY", "often", "SERVICETITAN_SYNC_EVERY must be a duration"),
        ("SERVICETITAN_SYNC_EVERY_JOBS", "0", "SERVICETITAN_SYNC_EVERY_JOBS must be at least 1 s"),
        ("SERVICETITAN_CAUGHT_UP_REST", "-5", "SERVICETITAN_CAUGHT_UP_REST must be a duration"),
        ("SERVICETITAN_RETRY_ATTEMPTS", "0", "SERVICETITAN_RETRY_ATTEMPTS must be a whole number"),
        (
            "SERVICETITAN_WORKER_STALLED_AFTER",
            "5",
            "must be longer than SERVICETITAN_WORKER_HEARTBEAT",
        ),
        ("SERVICETITAN_JOBS_KEPT", "10min", "SERVICETITAN_JOBS_KEPT must be at least 3600 s"),
        ("SERVICETITAN_SYNC_FEEDS", "jobs,bookings", "must list feeds among locations, customers"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_naming_its_variable(name, value, says):
    with pytest.raises(InvalidSetting) as refused:
        Settings.from_environment({name: value})
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_the_tick_as_a_cron_line():
    assert tick_cron(2) == "* * * * * */2"
    assert tick_cron(60) == "*/1 * * * *"
    assert tick_cron(300) == "*/5 * * * *"
