"""Queue position updates (core.queue_updates) through the signed Slack edge, on SQLite and
PostgreSQL: a waiting customer hears their new place when it improved materially (by `min_places`, or
into the first `top`), exactly as the queue counts it, at most once per `interval_minutes`; not when
answered later; in a shared channel's thread; and with many waiting tickets one run reads the queue
once and calls Slack only for the customers it tells."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.queue_updates import worth_telling
from handoff_slack.core.waiting_config import QueueUpdatesConfig
from handoff_slack.waiting_jobs import tell_queue_positions
from tests.conftest import AGENT, AGENT_2
from tests.support.app_under_test import AppUnderTest
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import TicketPost, claim_and_wait, dm_posts, stored_tickets, wait_for_dm, waiting_ticket
from tests.support.waiting import wait_until
from tests.test_shared_channels import SHARED, customer_writes, in_thread, serve
from tests.test_supervised_mode import MovableClock
from tests.test_waiting_timeout import bot_yaml, start

MOVED_UP = "you've moved up in the queue"
CUSTOMERS = [f"UQUEUE{n}" for n in range(1, 6)]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def app_with(fake: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path, **updates: Any) -> AppUnderTest:
    for user in CUSTOMERS:
        fake.add_user(user, name=user.lower(), real_name=f"Customer {user[-1]}")
    section = {"enabled": True, **updates}
    config = bot_yaml(tmp_path, queue_updates=section, waiting_timeout={"enabled": False})
    return start(fake, database_url, clock, config)


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = app_with(fake_slack, database_url, clock, tmp_path)  # the defaults: 3 places, top 3, 5 minutes
    try:
        yield running
    finally:
        running.stop()


def queue_of(app: AppUnderTest, fake: FakeSlack) -> list[TicketPost]:
    tickets = [waiting_ticket(app, fake, user) for user in CUSTOMERS]
    wait_until(
        lambda: all(t.position_told is not None for t in stored_tickets(app)),
        message="each new ticket's first place recorded",
    )
    return tickets


def run_updates_job(app: AppUnderTest) -> None:
    assert app.app is not None
    tell_queue_positions(app.app.services)
    app.app.services.outbox.retry()


def moved_up(fake: FakeSlack, user: str) -> list[str]:
    return [c.params["text"] for c in dm_posts(fake, user) if MOVED_UP in c.params["text"]]


def places(app: AppUnderTest) -> dict[str, int]:
    """Each waiting customer's place as /handoff-queue counts it."""
    return {e.ticket.customer.user_id: e.position for e in app.helpdesk.queue().entries}


# -- the rule ---------------------------------------------------------------------------------------------------


def test_material_means_enough_places_or_into_the_top() -> None:
    config = QueueUpdatesConfig(min_places=3, top=3)
    assert worth_telling(9, 6, config) and not worth_telling(9, 7, config)
    assert worth_telling(4, 3, config) and worth_telling(5, 2, config)  # into the top 3
    assert not worth_telling(3, 2, config)  # already in the top 3 when told, by one place
    assert not worth_telling(3, 5, config) and not worth_telling(3, 3, config)  # worse, or the same
    assert not worth_telling(5, 4, QueueUpdatesConfig(min_places=3, top=0))  # top 0: that rule is off


# -- through Slack ------------------------------------------------------------------------------------------------


def test_customers_whose_place_improved_materially_hear_their_exact_place_the_others_nothing(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    tickets = queue_of(app, fake_slack)
    assert app.app is not None
    app.app.scheduler.pause()  # both claims before the job's next run
    claim_and_wait(app, fake_slack, AGENT, tickets[0], CUSTOMERS[0])
    claim_and_wait(app, fake_slack, AGENT_2, tickets[1], CUSTOMERS[1])
    app.app.scheduler.resume()

    fourth = wait_for_dm(fake_slack, CUSTOMERS[3], MOVED_UP)  # 4 -> 2: into the top 3
    fifth = wait_for_dm(fake_slack, CUSTOMERS[4], MOVED_UP)  # 5 -> 3: into the top 3
    now = places(app)
    assert f"*#{now[CUSTOMERS[3]]}*" in fourth.params["text"] and now[CUSTOMERS[3]] == 2
    assert f"*#{now[CUSTOMERS[4]]}*" in fifth.params["text"] and now[CUSTOMERS[4]] == 3
    run_updates_job(app)
    assert moved_up(fake_slack, CUSTOMERS[2]) == []  # 3 -> 1: two places, and it was in the top 3 already
    assert len(moved_up(fake_slack, CUSTOMERS[3])) == len(moved_up(fake_slack, CUSTOMERS[4])) == 1  # once


def test_at_most_one_update_per_interval_then_the_place_as_it_is_now(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    app = app_with(fake_slack, database_url, clock, tmp_path, min_places=1, top=0, interval_minutes=5)
    try:
        tickets = queue_of(app, fake_slack)
        claim_and_wait(app, fake_slack, AGENT, tickets[0], CUSTOMERS[0])
        assert "*#4*" in wait_for_dm(fake_slack, CUSTOMERS[4], MOVED_UP).params["text"]
        claim_and_wait(app, fake_slack, AGENT_2, tickets[1], CUSTOMERS[1])
        run_updates_job(app)
        assert len(moved_up(fake_slack, CUSTOMERS[4])) == 1  # told within the interval: not again yet

        clock.offset = timedelta(minutes=5, seconds=1)
        second = wait_for_dm(fake_slack, CUSTOMERS[4], MOVED_UP, count=2)
        assert "*#3*" in second.params["text"] and places(app)[CUSTOMERS[4]] == 3
    finally:
        app.stop()


def test_an_update_due_while_no_app_ran_is_told_once_after_start(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    app = app_with(fake_slack, database_url, clock, tmp_path)
    try:
        tickets = queue_of(app, fake_slack)
        app.stop()
        assert app.app is None
        app.start()
        assert app.app is not None
        app.app.scheduler.pause()  # the claims first; the next run is the first after them
        for ticket in tickets[:2]:
            assert app.helpdesk.claim(ticket.ticket_id, AGENT).ticket is not None
        app.stop()  # the updates came due while no app ran
        app.start()
        wait_for_dm(fake_slack, CUSTOMERS[4], MOVED_UP)  # the leader's first run is at start-up
        app.restart()
        run_updates_job(app)
        assert len(moved_up(fake_slack, CUSTOMERS[4])) == len(moved_up(fake_slack, CUSTOMERS[3])) == 1
    finally:
        app.stop()


def test_in_a_shared_channel_the_update_reaches_the_customers_thread(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    app = app_with(fake_slack, database_url, clock, tmp_path, min_places=1, top=0)
    try:
        serve(app, fake_slack)
        first = waiting_ticket(app, fake_slack, CUSTOMERS[0])
        root = customer_writes(app, "I need a human please")
        in_thread(fake_slack, root, "*#2*")
        wait_until(lambda: all(t.position_told is not None for t in stored_tickets(app)), message="first places")
        claim_and_wait(app, fake_slack, AGENT, first, CUSTOMERS[0])
        told = in_thread(fake_slack, root, MOVED_UP)
        assert told.params["channel"] == SHARED and "*#1*" in told.params["text"]
    finally:
        app.stop()


# -- many waiting tickets ---------------------------------------------------------------------------------------------


def test_with_many_waiting_one_run_reads_the_queue_once_and_calls_slack_only_for_those_it_tells(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    config = bot_yaml(tmp_path, queue_updates={"min_places": 5, "top": 3}, waiting_timeout={"enabled": False})
    app = start(fake_slack, database_url, clock, config, HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    try:
        assert app.app is not None
        services = app.app.services
        waiting = 120
        for n in range(waiting):
            fake_slack.add_user(f"UMANY{n}", name=f"many{n}", real_name=f"Many {n}")
            customer = Customer(f"UMANY{n}", FrontDoor(f"DUMANY{n}"))
            services.helpdesk.receive_customer_message(customer, f"{1000 + n}.000100", "I need a human please")
        tell_queue_positions(services)  # each ticket's first place, told nobody
        services.outbox.retry()  # the bot's own replies and "you are #N": sent before counting
        first_three = [e.ticket.id for e in services.helpdesk.queue(limit=3).entries]
        for ticket_id in first_three:
            assert services.helpdesk.claim(ticket_id, AGENT).ticket is not None

        statements: list[str] = []
        engine = app.app.db.engine
        listener = lambda *args: statements.append(str(args[2]))  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listener)
        calls_before = len(fake_slack.calls())
        try:
            tell_queue_positions(services)
        finally:
            event.remove(engine, "before_cursor_execute", listener)

        told = [f"UMANY{n}" for n in range(3, 6)]  # 4, 5, 6 -> 1, 2, 3: into the top 3; the rest moved by 3
        assert [user for n in range(waiting) if moved_up(fake_slack, user := f"UMANY{n}")] == told
        new_calls = fake_slack.calls()[calls_before:]
        assert [c.method for c in new_calls] == ["chat.postMessage"] * 3
        # One read of the whole queue, then a few statements per customer told (the update, its notice,
        # the outbox's delivery): nothing per ticket not told, however long the queue.
        assert len(statements) <= 2 + 10 * len(told) < waiting / 3, statements
    finally:
        app.stop()
