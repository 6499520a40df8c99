"""`scheduler.run_timers_once`, which the sandbox's "⏩ Time" control calls after moving the app's clock
on: the leader's timer jobs run at once, here, by the app's clock (a waiting ticket's reminder and
its customer's waiting timeout offer are sent before it returns); on a process that does not lead,
nothing fires; a timer's statement left waiting is given up at HANDOFF_TIMER_STATEMENT_SECONDS
(PostgreSQL) and its timer fires once later. Through the signed Slack edge, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from handoff_slack.scheduler import TIMER_STATEMENT_CUT, run_timers_once
from handoff_slack.scheduler_leader import SchedulerLeadership
from handoff_slack.storage.leader_lock import LeaderLock
from tests.conftest import CUSTOMER
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import TicketPost, dm_posts, thread_posts, waiting_ticket
from tests.test_supervised_mode import MovableClock

REMINDER = "waited unclaimed"
OFFER = "Sorry for the wait"
SIXTEEN_MINUTES = timedelta(minutes=16)  # past the first reminder and the waiting timeout (15 min each)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def still(fake_slack: FakeSlack, database_url: str, clock: MovableClock) -> Iterator[AppUnderTest]:
    """An app whose timed jobs run once, at start-up: only the test runs them afterwards."""
    settings = settings_for(fake_slack, database_url, HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    running = AppUnderTest(settings, clock).start()
    try:
        yield running
    finally:
        running.stop()


def said(fake: FakeSlack, ticket: TicketPost, contains: str) -> int:
    return sum(contains in (c.params.get("text") or "") for c in thread_posts(fake, ticket))


def offers(fake: FakeSlack) -> int:
    return sum(OFFER in (c.params.get("text") or "") for c in dm_posts(fake, CUSTOMER))


def test_the_leaders_timers_fire_at_once_by_the_apps_clock(
    still: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    assert still.app is not None
    ticket = waiting_ticket(still, fake_slack, CUSTOMER)
    run_timers_once(still.app.services, still.app.leadership)
    assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (0, 0)  # nothing due yet

    clock.offset = SIXTEEN_MINUTES
    run_timers_once(still.app.services, still.app.leadership)
    assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (1, 1)  # sent before it returned

    run_timers_once(still.app.services, still.app.leadership)
    assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (1, 1)  # each once


def test_a_process_that_does_not_lead_fires_nothing(
    still: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock, database_url: str
) -> None:
    assert still.app is not None
    ticket = waiting_ticket(still, fake_slack, CUSTOMER)
    clock.offset = SIXTEEN_MINUTES
    follower = SchedulerLeadership(LeaderLock(database_url))  # never took the lock
    assert not follower.leading

    run_timers_once(still.app.services, follower)

    assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (0, 0)
    run_timers_once(still.app.services, still.app.leadership)  # the leader's run fires them
    assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (1, 1)


@pytest.mark.postgres
def test_a_timers_statement_left_waiting_is_given_up_at_its_bound_and_the_timer_fires_once_later(
    fake_slack: FakeSlack, postgres_database_url: str, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A session stuck holding the conversations' rows (as a hung replica's would): the timers'
    statements wait for them, each no longer than HANDOFF_TIMER_STATEMENT_SECONDS, and the run ends
    instead of holding the scheduler's thread forever. Once the rows are free, the next run fires."""
    caplog.set_level(logging.WARNING)
    settings = settings_for(
        fake_slack, postgres_database_url, HANDOFF_DELIVERY_RETRY_SECONDS="3600", HANDOFF_TIMER_STATEMENT_SECONDS="1"
    )
    app = AppUnderTest(settings, clock).start()
    stuck = create_engine(postgres_database_url)
    try:
        assert app.app is not None
        services, leadership = app.app.services, app.app.leadership
        ticket = waiting_ticket(app, fake_slack, CUSTOMER)
        clock.offset = SIXTEEN_MINUTES
        ran = threading.Event()
        with stuck.begin() as holding:
            holding.execute(text("SELECT id FROM conversation FOR UPDATE"))
            running = threading.Thread(target=lambda: (run_timers_once(services, leadership), ran.set()))
            running.start()
            ended = ran.wait(30)  # the rows are released in any case: an unbounded run would hang here
        running.join(30)
        assert ended, "the timers' run waited for the stuck session"
        assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (0, 0)
        assert TIMER_STATEMENT_CUT % 1 in caplog.text

        run_timers_once(services, leadership)
        assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (1, 1)
        run_timers_once(services, leadership)
        assert (said(fake_slack, ticket, REMINDER), offers(fake_slack)) == (1, 1)
    finally:
        stuck.dispose()
        app.stop()
