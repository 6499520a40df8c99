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

from handoff_slack.lazy_work import LazyWork
from handoff_slack.request_guard import OverloadEpisodes
from handoff_slack.storage.models import ProcessedEvent
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    TicketPost,
    connected_ticket,
    customer_says,
    dm,
    stored_messages,
    thread_posts,
    wait_for_menu,
)
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
def app_with_backlog_of_one(
    fake_slack: FakeSlack, database_url: str, retry_seconds: str = "3600"
) -> Iterator[AppUnderTest]:
    # By default no scheduled retries during the test: only lazy listeners post, so only they are held.
    settings = settings_for(
        fake_slack, database_url, HANDOFF_MAX_BACKLOG="1", HANDOFF_DELIVERY_RETRY_SECONDS=retry_seconds
    )
    limited = AppUnderTest(settings).start()
    try:
        yield limited
    finally:
        fake_slack.release()  # a held post would keep the app's shutdown waiting
        limited.stop()


def relayed_texts(fake_slack: FakeSlack, ticket: TicketPost) -> list[str]:
    return [c.params.get("text", "") for c in thread_posts(fake_slack, ticket) if c.params.get("username")]


def deferred(app: AppUnderTest) -> int:
    assert app.app is not None
    return app.app.executor.deferred


def test_with_the_backlog_full_relays_are_acked_and_stored_and_the_scheduler_delivers_them_once_in_order(
    app: AppUnderTest, fake_slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    app.stop()  # the same database, served by an app whose backlog holds one task
    caplog.set_level(logging.INFO, logger=GUARD_LOGGER)

    # The scheduler's periodic retry is an hour away: what delivers the deferred relays is the
    # retry the backlog's draining sets off.
    with app_with_backlog_of_one(fake_slack, database_url) as limited:
        fake_slack.hold(POST)
        dm(limited, CUSTOMER, "first: my order is late")
        wait_until(lambda: fake_slack.held(POST) == 1, message="the first relay to wait on Slack")
        assert backlog(limited) == 1

        # Full: the next messages are acked and committed as always, but no task waits in memory
        # for them; they are pending in the database.
        second, third = dm_message(CUSTOMER, "second: it was due on Monday"), dm_message(CUSTOMER, "third: hello?")
        assert [limited.slack.event(m).status for m in (second, third)] == [200, 200]
        assert len(stored_messages(limited, second["text"])) == 1 and len(stored_messages(limited, third["text"])) == 1
        assert (backlog(limited), deferred(limited), fake_slack.held(POST)) == (1, 2, 1)

        fake_slack.release(POST)  # the first relay goes through; then the drained backlog sends the rest
        wait_until(lambda: len(relayed_texts(fake_slack, ticket)) >= 3, timeout=10, message="all three relayed")
        customer_says(limited, fake_slack, CUSTOMER, ticket, "fourth: thanks")  # a later effect: the rest is done

        assert relayed_texts(fake_slack, ticket) == [
            "first: my order is late",
            second["text"],
            third["text"],
            "fourth: thanks",
        ]
    assert not [r for r in caplog.records if r.name == GUARD_LOGGER]  # nothing was refused


def test_a_relay_deferred_with_the_backlog_full_is_stored_for_any_replica_to_post_without_a_look(
    app: AppUnderTest, fake_slack: FakeSlack, database_url: str
) -> None:
    """Deferred relays have no first attempt counted: another replica's retry (or this one's after a
    restart) posts them at once instead of first reading the thread for a copy."""
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    app.stop()
    with app_with_backlog_of_one(fake_slack, database_url) as limited:
        fake_slack.hold(POST)
        dm(limited, CUSTOMER, "first: my order is late")
        wait_until(lambda: fake_slack.held(POST) == 1, message="the first relay to wait on Slack")
        second = dm_message(CUSTOMER, "second: deferred")
        assert limited.slack.event(second).status == 200 and deferred(limited) == 1
        [stored] = stored_messages(limited, second["text"])
        assert stored.attempts == 0
        fake_slack.release(POST)
        wait_until(lambda: len(relayed_texts(fake_slack, ticket)) >= 2, timeout=10, message="both relayed")
    assert relayed_texts(fake_slack, ticket) == ["first: my order is late", second["text"]]
    assert fake_slack.calls("conversations.replies") == []


def test_with_the_backlog_full_clicks_and_commands_get_503_and_at_twice_the_backlog_messages_too(
    fake_slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=GUARD_LOGGER)
    with app_with_backlog_of_one(fake_slack, database_url) as limited:
        fake_slack.hold(POST)
        dm(limited, CUSTOMER, "hello")  # bot mode: the lazy listener posts the menu
        wait_until(lambda: fake_slack.held(POST) == 1, message="the menu to wait on Slack")
        assert backlog(limited) == 1

        # A slash command's answer is the lazy listener's work only: refused before it runs.
        command = limited.slack.slash_command(
            "/handoff-queue", "", AGENT, SUPPORT_CHANNEL, fake_slack.response_url("q")
        )
        assert command.status == 503, command
        challenge = {"token": "legacy-verification-token", "challenge": "c-123", "type": "url_verification"}
        answered = limited.slack.post(json.dumps(challenge).encode(), JSON)
        assert (answered.status, answered.json()) == (200, {"challenge": "c-123"})

        # Messages still go through. The bot's reply is in the outbox, which the scheduler also
        # delivers: no task is queued for it. An escalation's ticket message is not, so its task is.
        dm(limited, CUSTOMER_2, "hello")
        assert backlog(limited) == 1
        dm(limited, CUSTOMER_2, "agent please")
        wait_until(lambda: backlog(limited) == 2, message="the escalation's task")
        # At twice the backlog messages are refused too, before anything is stored.
        late = dm_message(CUSTOMER, "hello again")
        refused = limited.slack.event(late)
        assert refused.status == 503, refused
        assert stored_messages(limited, late["text"]) == []
        assert refused.event_id not in processed_event_ids(limited)

        fake_slack.release(POST)
        wait_until(lambda: backlog(limited) == 0, message="the backlog to drain")
        retried = limited.slack.event(late, event_id=refused.event_id, retry_num=1, retry_reason="http_error")
        assert retried.status == 200, retried
        assert len(stored_messages(limited, late["text"])) == 1
        assert fake_slack.calls("response_url:q") == []  # the refused command did nothing
        wait_for_menu(fake_slack, CUSTOMER_2)  # the deferred reply, delivered once the backlog drained

    guard_records = [r for r in caplog.records if r.name == GUARD_LOGGER]
    assert [r.levelno for r in guard_records] == [logging.WARNING, logging.INFO], guard_records  # one episode
    assert "HANDOFF_MAX_BACKLOG" in guard_records[0].getMessage()
    assert all("hello" not in r.getMessage() for r in caplog.records)


def test_a_task_deferred_just_as_the_backlog_drained_is_queued_not_left_for_the_next_interval() -> None:
    executor = LazyWork(max_workers=2, max_backlog=1, thread_name_prefix="test-lazy")
    gate = threading.Event()
    try:
        executor.submit(gate.wait, 5)
        assert executor.full()
        executor.defer_next()  # an ack phase found the backlog full ...
        gate.set()
        wait_until(lambda: executor.backlog == 0, message="the backlog to drain")
        ran = threading.Event()
        executor.submit(ran.set)  # ... and its lazy task comes only now: nothing else would set it off
        assert ran.wait(5), "the task was deferred with no task left whose end would run the retry"
        assert executor.deferred == 0
    finally:
        gate.set()
        executor.shutdown(wait=True)


def test_the_executor_counts_tasks_until_they_finish_even_when_they_fail() -> None:
    executor = LazyWork(max_workers=2, max_backlog=2, thread_name_prefix="test-lazy")
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


def test_a_deferred_task_is_the_next_one_its_thread_submits() -> None:
    work = LazyWork(max_workers=1, max_backlog=1, thread_name_prefix="test-lazy")
    gate, ran, drained = threading.Event(), [], []
    work.on_drained = lambda: drained.append(True)
    try:
        assert not work.full()  # room: the task is queued as usual
        work.submit(gate.wait, 5)
        assert work.backlog == 1 and work.full()

        work.defer_next()
        other_thread = threading.Thread(target=lambda: work.submit(ran.append, "other thread"))
        other_thread.start()
        other_thread.join(5)  # the mark is this thread's: another thread's task is queued
        work.submit(ran.append, "deferred")  # this thread's next task: not queued
        work.submit(ran.append, "queued")  # the mark is used up
        assert (work.deferred, work.backlog) == (1, 3)

        work.defer_next()
        work.forget_deferral()  # a new request in this thread: the old mark is gone
        work.submit(ran.append, "queued too")
        assert work.deferred == 1

        gate.set()
        wait_until(lambda: work.backlog == 0, message="the backlog to drain")
        assert sorted(ran) == ["other thread", "queued", "queued too"]
        wait_until(lambda: drained == [True], message="one call of on_drained for the deferred task")
    finally:
        gate.set()
        work.shutdown(wait=True)
