"""Idle auto-close (core.idle_close) through the signed Slack edge, on SQLite and PostgreSQL: a quiet
connected conversation is warned on both sides at its time, then closed the normal way (both sides
told, the survey after the goodbye, the ticket message), once; a message from either side after the
warning resets it; Snooze (the owner or an admin, audited, a second press told until when); a
customer's message racing the close; off by default; a shared channel's thread."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.blocks.action_ids import CLOSE_TICKET, IDLE_SNOOZE
from handoff_slack.core.audit import BOT_ACTOR
from handoff_slack.core.states import TicketState
from handoff_slack.waiting_jobs import close_idle_conversations
from tests.conftest import AGENT, AGENT_2, CUSTOMER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_reply,
    agent_says,
    block_text,
    claim,
    connected_ticket,
    customer_says,
    dm,
    dm_posts,
    posted_to,
    stored_tickets,
    thread_posts,
    ticket_message_recorded,
    wait_for_dm,
    wait_for_menu,
    wait_for_new_ticket,
    wait_for_ticket_update,
)
from tests.support.waiting import wait_until
from tests.test_shared_channels import SHARED, customer_writes, in_thread, serve
from tests.test_supervised_mode import MovableClock
from tests.test_waiting_timeout import bot_yaml, lazy_work_done, start

WARNING = "will close in 10 minutes"
NOTE = "closes automatically in 10 minutes"
CLOSED = "was closed after 40 minutes without messages"
WARN, CLOSE = timedelta(minutes=30), timedelta(minutes=10)
IDLE = {"enabled": True, "warn_after_minutes": 30, "close_after_minutes": 10, "snooze_minutes": 60}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    # No waiting timeout: the clock moves far while tickets wait in some tests.
    config = bot_yaml(tmp_path, idle_close=IDLE, waiting_timeout={"enabled": False})
    running = start(fake_slack, database_url, clock, config)
    try:
        yield running
    finally:
        running.stop()


def run_idle_job(app: AppUnderTest) -> None:
    assert app.app is not None
    close_idle_conversations(app.app.services)
    app.app.services.outbox.retry()


def warnings_in(fake: FakeSlack, ticket: TicketPost) -> list[Call]:
    return [c for c in thread_posts(fake, ticket) if NOTE in c.params["text"]]


def state_of(app: AppUnderTest, ticket: TicketPost) -> str:
    return str(next(t for t in stored_tickets(app) if t.id == ticket.ticket_id).state)


def snooze(app: AppUnderTest, fake: FakeSlack, user: str, warning: Call, ticket: TicketPost, name: str) -> str:
    value = next(e["value"] for b in warning.params["blocks"] if b["type"] == "actions" for e in b["elements"])
    reply = app.slack.block_action(
        user,
        IDLE_SNOOZE,
        value,
        channel_id=SUPPORT_CHANNEL,
        message_ts=warning.response["ts"],
        thread_ts=ticket.ts,
        response_url=fake.response_url(name),
    )
    assert (reply.status, reply.body) == (200, ""), reply
    return name


def test_a_quiet_conversation_is_warned_on_both_sides_then_closed_the_normal_way_once(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    clock.offset = WARN - timedelta(minutes=1)
    run_idle_job(app)
    assert warnings_in(fake_slack, ticket) == []  # not yet

    clock.offset = WARN + timedelta(seconds=1)
    wait_for_dm(fake_slack, CUSTOMER, WARNING)
    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, NOTE, thread_ts=ticket.ts))[0]
    assert action_ids(note.params["blocks"]) == [IDLE_SNOOZE]
    run_idle_job(app)
    assert len(warnings_in(fake_slack, ticket)) == 1  # once

    clock.offset = WARN + CLOSE + timedelta(seconds=2)
    goodbye = wait_for_dm(fake_slack, CUSTOMER, CLOSED)
    assert goodbye.params["text"].startswith("This conversation with *")  # the agent's name
    survey = wait_for_dm(fake_slack, CUSTOMER, "How did we do?")  # the normal close: the survey follows
    posts = dm_posts(fake_slack, CUSTOMER)
    assert posts.index(survey) == posts.index(goodbye) + 1
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "Closed automatically", thread_ts=ticket.ts))
    wait_for_ticket_update(fake_slack, ticket, "Closed automatically (no messages)")
    assert state_of(app, ticket) == TicketState.CLOSED
    assert app.app is not None
    [entry] = [e for e in app.app.services.audit.entries() if e.action == "close"]
    assert (entry.actor_user_id, entry.details) == (BOT_ACTOR, {"reason": "idle", "agent_user_id": AGENT})

    run_idle_job(app)
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if CLOSED in c.params["text"]]) == 1
    dm(app, CUSTOMER, "one more thing")  # back with the bot, as after any close
    wait_for_menu(fake_slack, CUSTOMER)


def test_a_message_from_either_side_after_the_warning_resets_it(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    clock.offset = WARN + timedelta(seconds=1)
    wait_for_dm(fake_slack, CUSTOMER, WARNING)
    customer_says(app, fake_slack, CUSTOMER, ticket, "still here, checking the router")

    clock.offset = WARN + CLOSE + timedelta(minutes=1)
    run_idle_job(app)
    assert state_of(app, ticket) == TicketState.CONNECTED  # the warning was answered
    assert len(warnings_in(fake_slack, ticket)) == 1

    clock.offset = 2 * WARN + timedelta(seconds=5)  # quiet again for 30 minutes since the message
    wait_until(lambda: len(warnings_in(fake_slack, ticket)) == 2, message="a second warning")
    agent_says(app, fake_slack, AGENT, ticket, "Any luck?")
    clock.offset = 2 * WARN + CLOSE + timedelta(minutes=1)
    run_idle_job(app)
    assert state_of(app, ticket) == TicketState.CONNECTED  # the agent's reply counts too


def test_snooze_holds_off_the_close_is_audited_and_only_the_owner_or_an_admin_may(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    clock.offset = WARN + timedelta(seconds=1)
    warning = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, NOTE, thread_ts=ticket.ts))[0]

    snooze(app, fake_slack, AGENT_2, warning, ticket, "teammate")
    refused = fake_slack.wait_for(
        "chat.postEphemeral", lambda c: c.params.get("user") == AGENT_2 and c.params.get("thread_ts") == ticket.ts
    )[0]
    assert "Only the agent who has this conversation" in refused.params["text"]

    snooze(app, fake_slack, AGENT, warning, ticket, "owner")
    updated = fake_slack.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == warning.response["ts"] and "Snoozed by" in block_text(c.params.get("blocks")),
    )[0]
    assert f"<@{AGENT}>" in block_text(updated.params["blocks"]) and action_ids(updated.params["blocks"]) == []
    assert app.app is not None
    [entry] = [e for e in app.app.services.audit.entries() if e.action == "snooze"]
    assert (entry.actor_user_id, entry.ticket_id, entry.details) == (AGENT, ticket.ticket_id, {"minutes": 60})

    snooze(app, fake_slack, AGENT, warning, ticket, "second")
    again = fake_slack.wait_for(
        "chat.postEphemeral", lambda c: c.params.get("user") == AGENT and c.params.get("thread_ts") == ticket.ts
    )[0]
    assert again.params["text"].startswith(f"Already snoozed by <@{AGENT}> until")

    clock.offset = WARN + CLOSE + timedelta(minutes=5)
    run_idle_job(app)
    assert state_of(app, ticket) == TicketState.CONNECTED  # snoozed: no close, no new warning
    assert len(warnings_in(fake_slack, ticket)) == 1

    clock.offset = WARN + timedelta(minutes=61)  # the snooze is over, and it is still quiet
    wait_until(lambda: len(warnings_in(fake_slack, ticket)) == 2, message="the warning after the snooze")


def test_the_command_word_snoozes_from_the_thread_at_any_time_and_stays_internal(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    agent_reply(app, AGENT_2, ticket, "note: snooze")  # a teammate's: a plain note, nothing snoozed
    agent_reply(app, AGENT, ticket, "NOTE:  Snooze ")  # the owner's, before any warning
    said = fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "snoozed the automatic close until", thread_ts=ticket.ts)
    )[0]
    assert said.params["text"].startswith(f":zzz: <@{AGENT}> snoozed")
    assert app.app is not None
    [entry] = [e for e in app.app.services.audit.entries() if e.action == "snooze"]
    assert entry.actor_user_id == AGENT

    clock.offset = WARN + CLOSE + timedelta(minutes=5)
    run_idle_job(app)
    assert warnings_in(fake_slack, ticket) == [] and state_of(app, ticket) == TicketState.CONNECTED
    clock.offset = timedelta(minutes=61)  # the snooze is over, and it has been quiet since the claim
    wait_until(lambda: len(warnings_in(fake_slack, ticket)) == 1, message="the warning after the snooze")
    lazy_work_done(app)
    assert [c for c in dm_posts(fake_slack, CUSTOMER) if "snooze" in c.params["text"].lower()] == []


def test_a_customer_message_racing_the_close_keeps_it_open_or_comes_after_it(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    assert app.app is not None
    app.app.scheduler.pause()  # the test decides the order
    first = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    clock.offset = WARN + timedelta(seconds=1)
    run_idle_job(app)
    clock.offset = WARN + CLOSE + timedelta(seconds=2)
    # The message lands first (its transaction holds the conversation's lock): the close finds it.
    customer_says(app, fake_slack, CUSTOMER, first, "wait, one more question")
    run_idle_job(app)
    assert state_of(app, first) == TicketState.CONNECTED

    # The close lands first: the message comes after it and goes to the bot, as after any close.
    clock.offset = 2 * WARN + CLOSE + timedelta(minutes=2)
    run_idle_job(app)  # warned
    clock.offset = 2 * WARN + 2 * CLOSE + timedelta(minutes=3)
    run_idle_job(app)  # closed
    assert state_of(app, first) == TicketState.CLOSED
    dm(app, CUSTOMER, "hello?")
    wait_for_menu(fake_slack, CUSTOMER)
    assert [c for c in thread_posts(fake_slack, first) if c.params.get("text") == "hello?"] == []


def test_a_close_due_while_no_app_ran_happens_once_after_start(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    config = bot_yaml(tmp_path, idle_close=IDLE, waiting_timeout={"enabled": False})
    app = start(fake_slack, database_url, clock, config)
    try:
        ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
        clock.offset = WARN + timedelta(seconds=1)
        wait_for_dm(fake_slack, CUSTOMER, WARNING)
        app.stop()
        clock.offset = WARN + CLOSE + timedelta(minutes=5)  # the close came due while the app was down
        app.start()
        wait_for_dm(fake_slack, CUSTOMER, CLOSED)  # the leader's first run is at start-up
        app.restart()
        run_idle_job(app)
        assert len([c for c in dm_posts(fake_slack, CUSTOMER) if CLOSED in c.params["text"]]) == 1
        assert len(warnings_in(fake_slack, ticket)) == 1 and state_of(app, ticket) == TicketState.CLOSED
    finally:
        app.stop()


def test_off_by_default_nothing_is_warned_or_closed(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock
) -> None:
    app = start(fake_slack, database_url, clock)
    try:
        ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
        clock.offset = timedelta(days=2)
        run_idle_job(app)
        assert warnings_in(fake_slack, ticket) == [] and state_of(app, ticket) == TicketState.CONNECTED
    finally:
        app.stop()


def test_in_a_shared_channel_the_warning_and_the_close_reach_the_customers_thread_only(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    serve(app, fake_slack)
    root = customer_writes(app, "I need a human please")
    ticket = ticket_message_recorded(app, wait_for_new_ticket(fake_slack, 0))
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")
    clock.offset = WARN + timedelta(seconds=1)
    in_thread(fake_slack, root, WARNING)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, NOTE, thread_ts=ticket.ts))
    clock.offset = WARN + CLOSE + timedelta(seconds=2)
    in_thread(fake_slack, root, CLOSED)
    in_thread(fake_slack, root, "How did we do?")
    wait_for_ticket_update(fake_slack, ticket, "Closed automatically")

    lazy_work_done(app)
    calls = [c for c in fake_slack.calls() if SHARED in (c.params.get("channel"), c.params.get("channel_id"))]
    seen = json.dumps([c.params for c in calls])
    for internal in (NOTE, "Closed automatically", IDLE_SNOOZE, CLOSE_TICKET, "Support request #"):
        assert internal not in seen, internal
    posts = [c for c in calls if c.method == "chat.postMessage"]
    assert {c.params.get("thread_ts") for c in posts} == {root}
