"""A bounded backlog of work after the ack (HANDOFF_MAX_BACKLOG): Slack gets a 503, not a queue in memory.

Through the HTTP edge: the fake Slack holds `chat.postMessage`, so the lazy relay of one message
stays in flight and fills a backlog of 1. The next event is refused before anything about it is
stored; Slack's redelivery, once the backlog has drained, is relayed exactly once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import select

from handoff_slack.app import LazyTaskExecutor
from handoff_slack.request_guard import OverloadEpisodes
from handoff_slack.storage.models import ProcessedEvent
from tests.conftest import AGENT, CUSTOMER
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import TicketPost, connected_ticket, customer_says, dm, stored_messages, thread_posts
from tests.support.slack_requests import JSON, dm_message
from tests.support.waiting import wait_until

POST = "chat.postMessage"
GUARD_LOGGER = "handoff_slack.request_guard"


def processed_event_ids(app: AppUnderTest) -> set[str]:
    assert app.app is not None
    with app.app.db.transaction() as session:
        return set(session.exec(select(ProcessedEvent.event_id)).all())


def backlog(app: AppUnderTest) -> int:
    assert app.app is not None
    return app.app.executor.backlog


@contextmanager
def app_with_backlog_of_one(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    # No scheduled retries during the test: only the lazy listener posts, so only it is held.
    settings = settings_for(fake_slack, database_url, HANDOFF_MAX_BACKLOG="1", HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    limited = AppUnderTest(settings).start()
    try:
        yield limited
    finally:
        fake_slack.release()  # a held post would keep the app's shutdown waiting
        limited.stop()


def relayed_texts(fake_slack: FakeSlack, ticket: TicketPost) -> list[str]:
    return [c.params.get("text", "") for c in thread_posts(fake_slack, ticket) if c.params.get("username")]


def test_a_full_backlog_refuses_events_with_503_and_their_redelivery_is_relayed_once(
    app: AppUnderTest, fake_slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    app.stop()  # the same database, served by an app whose backlog holds one task
    caplog.set_level(logging.INFO, logger=GUARD_LOGGER)

    with app_with_backlog_of_one(fake_slack, database_url) as limited:
        fake_slack.hold(POST)
        dm(limited, CUSTOMER, "first: my order is late")
        wait_until(lambda: fake_slack.held(POST) == 1, message="the first relay to wait on Slack")
        assert backlog(limited) == 1

        second = dm_message(CUSTOMER, "second: it was due on Monday")
        refused = limited.slack.event(second)
        again = limited.slack.event(second, event_id=refused.event_id, retry_num=1, retry_reason="http_error")
        assert (refused.status, again.status) == (503, 503), (refused, again)

        # Refused before Bolt ran the listener: nothing stored, the event ID not taken, nothing posted.
        assert stored_messages(limited, second["text"]) == []
        assert refused.event_id not in processed_event_ids(limited)
        assert fake_slack.held(POST) == 1

        fake_slack.release(POST)
        fake_slack.wait_for(POST, lambda c: c.params.get("text") == "first: my order is late")
        wait_until(lambda: backlog(limited) == 0, message="the backlog to drain")

        retried = limited.slack.event(second, event_id=refused.event_id, retry_num=2, retry_reason="http_error")
        assert retried.status == 200, retried
        fake_slack.wait_for(POST, lambda c: c.params.get("text") == second["text"])
        wait_until(lambda: backlog(limited) == 0, message="the backlog to drain again")
        customer_says(limited, fake_slack, CUSTOMER, ticket, "third: thanks")  # a later effect: the rest is done

        assert relayed_texts(fake_slack, ticket) == [
            "first: my order is late",
            second["text"],
            "third: thanks",
        ]
        assert len(stored_messages(limited, second["text"])) == 1

    guard_records = [r for r in caplog.records if r.name == GUARD_LOGGER]
    assert [r.levelno for r in guard_records] == [logging.WARNING, logging.INFO], guard_records  # one episode
    assert "HANDOFF_MAX_BACKLOG" in guard_records[0].getMessage()
    assert all("order" not in r.getMessage() and "Monday" not in r.getMessage() for r in caplog.records)


def test_url_verification_is_answered_while_the_backlog_is_full(
    fake_slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with app_with_backlog_of_one(fake_slack, database_url) as limited:
        fake_slack.hold(POST)
        dm(limited, CUSTOMER, "hello")  # bot mode: the lazy listener posts the menu
        wait_until(lambda: fake_slack.held(POST) == 1, message="the menu to wait on Slack")

        challenge = {"token": "legacy-verification-token", "challenge": "c-123", "type": "url_verification"}
        answered = limited.slack.post(json.dumps(challenge).encode(), JSON)
        assert (answered.status, answered.json()) == (200, {"challenge": "c-123"})
        assert limited.slack.event(dm_message(CUSTOMER, "hello?")).status == 503


def test_the_executor_counts_tasks_until_they_finish_even_when_they_fail() -> None:
    executor = LazyTaskExecutor(max_workers=2, max_backlog=2, thread_name_prefix="test-lazy")
    gate = threading.Event()
    try:
        blocked = executor.submit(gate.wait, 5)
        failing = executor.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failing.result(timeout=5)
        wait_until(lambda: executor.backlog == 1, message="the failed task to be counted out")
        assert not executor.full()
        executor.submit(gate.wait, 5)
        assert executor.backlog == 2 and executor.full()
        gate.set()
        assert blocked.result(timeout=5) is True
        wait_until(lambda: executor.backlog == 0, message="the backlog to drain")
    finally:
        gate.set()
        executor.shutdown(wait=True)


def test_a_backlog_flapping_at_its_limit_logs_one_warning_a_minute_and_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    episodes = OverloadEpisodes(clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="handoff_slack.request_guard")

    def flap(refusals: int) -> None:
        for _ in range(refusals):
            episodes.refused()
        episodes.accepted()

    flap(3)  # the first episode: a warning, then the all-clear with its count
    for _ in range(50):  # many short relapses within the minute: silent, counted
        now[0] += 0.5
        flap(2)
    now[0] += 60
    flap(1)  # a minute after the warning: the next warning, and everything since in the count

    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in lines] == ["WARNING", "INFO", "WARNING", "INFO"]
    assert "3 request(s)" in lines[1][1]
    assert "101 request(s)" in lines[3][1]
