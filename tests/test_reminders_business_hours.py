"""Reminders and first-response clocks pause outside business hours (core.reminders.due_since with
core.business_hours' working time), through the signed Slack edge, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.core.business_hours import BusinessHours, OpenRange
from handoff_slack.core.reminders import due_since, wall_seconds
from tests.conftest import CUSTOMER
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import waiting_ticket
from tests.test_business_hours import OFFICE_HOURS, PLAIN, SetClock, berlin
from tests.test_reminders import reminders, run_job_and_deliver, wait_for_reminders

STEPS = """
reminders:
  steps:
    - after_minutes: 10
  first_response_minutes:
    normal: 60
"""


@pytest.fixture
def clock() -> SetClock:
    return SetClock(berlin(2026, 12, 4, 17, 25))  # a Friday, five minutes before closing


@pytest.fixture
def office(fake_slack: FakeSlack, database_url: str, clock: SetClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    config = tmp_path / "office.yaml"
    config.write_text(PLAIN + OFFICE_HOURS + STEPS)
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config)), clock).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_reminder_waits_for_the_working_minutes_over_the_weekend(
    office: AppUnderTest, fake_slack: FakeSlack, clock: SetClock
) -> None:
    ticket = waiting_ticket(office, fake_slack, CUSTOMER)
    for closed in (berlin(2026, 12, 4, 17, 40), berlin(2026, 12, 5, 12, 0), berlin(2026, 12, 7, 9, 4, 58)):
        clock.at = closed  # five working minutes by closing time, none over the weekend, 4:58 on Monday
        run_job_and_deliver(office)
        assert reminders(fake_slack, ticket) == [], closed
    clock.at = berlin(2026, 12, 7, 9, 5, 1)  # ten working minutes and a second
    [reminder] = wait_for_reminders(fake_slack, ticket, 1)
    assert "has waited unclaimed for 10 min" in reminder.params["text"]


def _office() -> BusinessHours:
    weekday = (OpenRange.parse("09:00-17:30"),)
    return BusinessHours(time_zone="Europe/Berlin", week=(weekday,) * 5 + ((), ()), holidays=())


def test_due_since_with_wall_time_is_plain_subtraction() -> None:
    now = berlin(2026, 12, 7, 9, 5)
    assert due_since(wall_seconds, now, timedelta(minutes=10)) == now - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("now", "after", "expected"),
    [
        # Monday 09:05: ten working minutes back reach Friday 17:25.
        (berlin(2026, 12, 7, 9, 5), timedelta(minutes=10), berlin(2026, 12, 4, 17, 25)),
        # Within the day: plain subtraction.
        (berlin(2026, 12, 8, 11, 0), timedelta(minutes=30), berlin(2026, 12, 8, 10, 30)),
        # Saturday noon: closed since Friday 17:30, so 17:20 is ten working minutes back.
        (berlin(2026, 12, 5, 12, 0), timedelta(minutes=10), berlin(2026, 12, 4, 17, 20)),
    ],
)
def test_due_since_counts_back_only_open_time(now, after, expected) -> None:  # type: ignore[no-untyped-def]
    hours = _office()
    found = due_since(hours.working_seconds_between, now, after)
    assert abs((found - expected).total_seconds()) <= 1
    assert hours.working_seconds_between(found, now) >= after.total_seconds()
