"""The ticket emoji in a served shared channel, through the signed Slack edge: people act in the fake
Slack (sandbox.workspace), which stores their messages and sends the app Slack-Connect-shaped events;
the app reads the reacted message back with conversations.replies as it would from Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff_slack.sandbox.workspace import Workspace
from tests.conftest import AGENT, AGENT_2, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import ADMIN, SIGNING_SECRET, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import agent_reply, claim, posted_to, press_close, stored_tickets, ticket_posts
from tests.support.journeys import wait_for_new_ticket as wait_for_ticket
from tests.support.waiting import wait_until
from tests.test_shared_channels import HOME, SHARED, command, in_thread, shared_posts

COLLEAGUE = "UEXT2"  # another person of the customer's organisation
OTHER = "COTHER"  # shared too, never served


@pytest.fixture
def people(app: AppUnderTest, fake_slack: FakeSlack) -> Workspace:
    """The fake Slack's people, with the app serving the shared channel."""
    fake_slack.add_user(COLLEAGUE, name="cole", real_name="Cole Colleague", team_id=EXTERNAL_TEAM)
    for channel in (SHARED, OTHER):
        fake_slack.set_members(channel, [EXTERNAL_CUSTOMER, COLLEAGUE, AGENT, AGENT_2, ADMIN])
    assert "is served" in command(app, fake_slack, ADMIN, "on")
    return Workspace(fake_slack, app.events_url, SIGNING_SECRET)


def settled(app: AppUnderTest) -> None:
    """Every lazy listener the app started has finished (a reaction's work is done after the ack)."""
    assert app.app is not None
    executor = app.app.executor
    wait_until(lambda: executor.backlog == 0, message="the app's lazy work to finish")


def text_of(call: Call) -> str:
    return str(call.params.get("text") or "")


def ticketed_notes(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage", channel=SUPPORT_CHANNEL) if "opened this ticket" in text_of(c)]


def ephemerals(fake: FakeSlack, user: str) -> list[Call]:
    return [c for c in fake.calls("chat.postEphemeral") if c.params.get("user") == user]


def test_an_internal_persons_reaction_opens_a_ticket_quoting_the_message_and_the_relay_runs_in_its_thread(
    app: AppUnderTest, fake_slack: FakeSlack, people: Workspace
) -> None:
    asked = people.post(EXTERNAL_CUSTOMER, SHARED, "Our invoices page shows an error since this morning")
    root = str(asked.ts)
    in_thread(fake_slack, root)  # the bot's menu: the thread is a conversation already
    before = len(ticket_posts(fake_slack))

    assert people.react(AGENT_2, SHARED, root, "ticket").accepted
    ticket = wait_for_ticket(fake_slack, before)
    shown = str(ticket.call.params.get("text"))
    assert "ticketed from their message in a shared channel" in shown
    assert "Our invoices page shows an error" in str(ticket.call.params.get("blocks"))  # the ticket's transcript
    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "opened this ticket", ticket.ts))[0]
    assert text_of(note).startswith(f"<@{AGENT_2}> opened this ticket with :ticket:")
    assert "> Our invoices page shows an error since this morning" in text_of(note)
    in_thread(fake_slack, root, "#1")  # the customer hears they are in the queue, in their thread
    [found] = stored_tickets(app)
    assert (found.reason, found.state) == ("reaction", "waiting")

    # From here on as after any escalation: claim, relay both ways between the two threads.
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")
    agent_reply(app, AGENT, ticket, "Looking into the invoices page now")
    in_thread(fake_slack, root, "Looking into the invoices page now")
    people.post(EXTERNAL_CUSTOMER, SHARED, "thanks, it is the March invoices", thread_ts=root)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "the March invoices", thread_ts=ticket.ts))
    assert [c for c in shared_posts(fake_slack) if c.params.get("thread_ts") != root] == []


def test_one_ticket_per_message_whoever_reacts_however_often(
    app: AppUnderTest, fake_slack: FakeSlack, people: Workspace
) -> None:
    asked = people.post(EXTERNAL_CUSTOMER, SHARED, "Our SSO settings look wrong since Monday")
    root = str(asked.ts)
    in_thread(fake_slack, root)
    before = len(ticket_posts(fake_slack))
    # The reaction's event, and Slack's redelivery of it (same event ID, X-Slack-Retry-Num).
    fake_slack.record_reaction(AGENT, SHARED, root, "ticket")
    reaction = {
        "type": "reaction_added",
        "user": AGENT,
        "reaction": "ticket",
        "item_user": EXTERNAL_CUSTOMER,
        "item": {"type": "message", "channel": SHARED, "ts": root},
        "event_ts": "1700000000.000200",
    }
    for retry in (None, 1):
        sent = app.slack.event(
            reaction, event_id="Ev0REACTION1", retry_num=retry, team_id=HOME, is_ext_shared_channel=True
        )
        assert sent.status == 200
    ticket = wait_for_ticket(fake_slack, before)
    settled(app)
    # ... a second person reacts while the ticket is open: told privately, nothing opened.
    people.react(AGENT_2, SHARED, root, "ticket")
    told = wait_until(lambda: ephemerals(fake_slack, AGENT_2), message="the second reaction's answer")
    assert f"already has an open ticket (#{ticket.ticket_id})" in text_of(told[0])
    assert told[0].params.get("thread_ts") == root

    # After the ticket is closed, reacting to the same message again opens none either.
    claim(app, fake_slack, AGENT, ticket)
    wait_until(lambda: stored_tickets(app)[0].state == "connected", message="the claim")
    press_close(app, fake_slack, AGENT, ticket)
    wait_until(lambda: stored_tickets(app)[0].state == "closed", message="the close")
    fake_slack.record_reaction(AGENT_2, SHARED, root, "ticket", add=False)
    people.react(AGENT_2, SHARED, root, "ticket")
    told = wait_until(lambda: ephemerals(fake_slack, AGENT_2)[1:], message="the third reaction's answer")
    assert "This message already opened a ticket" in text_of(told[0])
    settled(app)
    assert len(ticket_posts(fake_slack)) == before + 1 and len(stored_tickets(app)) == 1
    assert len(ticketed_notes(fake_slack)) == 1
    # The redelivered event was handled once: by opening the ticket (else its author would hear "already open").
    assert ephemerals(fake_slack, AGENT) == []


def test_a_customers_reply_in_a_thread_the_app_did_not_start_opens_the_thread_as_the_door(
    app: AppUnderTest, fake_slack: FakeSlack, people: Workspace
) -> None:
    # An internal person's announcement; a customer answers in its thread (the app stays out: not its thread).
    announcement = str(people.post(AGENT, SHARED, "We upgrade the API gateway tonight").ts)
    reply = people.post(EXTERNAL_CUSTOMER, SHARED, "Will webhooks retry during the upgrade?", thread_ts=announcement)
    settled(app)
    assert shared_posts(fake_slack) == []
    before = len(ticket_posts(fake_slack))
    people.react(AGENT, SHARED, str(reply.ts), "ticket")
    ticket = wait_for_ticket(fake_slack, before)
    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "opened this ticket", ticket.ts))[0]
    assert "> Will webhooks retry during the upgrade?" in text_of(note)
    in_thread(fake_slack, announcement, "#1")  # the reply's thread is the conversation's door
    people.post(EXTERNAL_CUSTOMER, SHARED, "also: what about the sandbox?", thread_ts=announcement)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "what about the sandbox", thread_ts=ticket.ts))
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, announcement, "You are now talking with")
    agent_reply(app, AGENT, ticket, "Yes, webhooks retry for 24 hours")
    in_thread(fake_slack, announcement, "webhooks retry for 24 hours")


def test_the_quoted_message_cannot_ping_or_hide_a_link(
    app: AppUnderTest, fake_slack: FakeSlack, people: Workspace
) -> None:
    # Posted before the channel was served (the app never kept it), with a real @channel and a disguised link.
    hostile = fake_slack.record_post_as_sent(
        EXTERNAL_CUSTOMER, SHARED, "<!channel> <!subteam^S0SUPPORT> see <https://evil.example/x|our bank> now"
    )
    before = len(ticket_posts(fake_slack))
    people.react(AGENT, SHARED, hostile["ts"], "ticket")
    ticket = wait_for_ticket(fake_slack, before)
    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "opened this ticket", ticket.ts))[0]
    for posted in (note, ticket.call):
        shown = str(posted.params.get("text")) + str(posted.params.get("blocks"))
        assert "<!channel>" not in shown and "<!subteam" not in shown and "|our bank>" not in shown
    assert "@channel" in text_of(note) and "our bank (<https://evil.example/x>)" in text_of(note)


def test_reactions_that_open_nothing_are_ignored_quietly(
    app: AppUnderTest, fake_slack: FakeSlack, people: Workspace
) -> None:
    customer_root = str(people.post(EXTERNAL_CUSTOMER, SHARED, "hello there").ts)
    internal = str(people.post(AGENT, SHARED, "Welcome to the shared channel!").ts)
    in_unserved = str(people.post(EXTERNAL_CUSTOMER, OTHER, "anyone around?").ts)
    gone = str(people.post(EXTERNAL_CUSTOMER, SHARED, "oops, wrong channel").ts)
    in_thread(fake_slack, customer_root)
    in_thread(fake_slack, gone)
    people.delete(EXTERNAL_CUSTOMER, SHARED, gone)
    shared_before, other_before = len(shared_posts(fake_slack)), fake_slack.calls("chat.postMessage", channel=OTHER)

    people.react(AGENT, SHARED, customer_root, "eyes")  # another emoji
    people.react(COLLEAGUE, SHARED, customer_root, "ticket")  # a person of the customer's organisation
    people.react(AGENT, SHARED, internal, "ticket")  # an internal person's message
    people.react(AGENT, OTHER, in_unserved, "ticket")  # a channel not served
    settled(app)
    for payload in (  # a message deleted meanwhile, and payloads of the wrong shape (the request guard's 400s aside)
        {
            "type": "reaction_added",
            "user": AGENT,
            "reaction": "ticket",
            "item": {"type": "message", "channel": SHARED, "ts": gone},
        },
        {"type": "reaction_added", "user": AGENT, "reaction": "ticket", "item": {"type": "file", "file": "F1"}},
        {"type": "reaction_added", "user": AGENT, "item": {"type": "message", "channel": SHARED, "ts": gone}},
        {"type": "reaction_added", "user": AGENT, "reaction": "ticket", "item": {"type": "message", "channel": SHARED}},
    ):
        assert app.slack.event(payload, team_id=HOME, is_ext_shared_channel=True).status == 200
    settled(app)
    assert ticket_posts(fake_slack) == [] and stored_tickets(app) == []
    assert len(shared_posts(fake_slack)) == shared_before  # nothing said in the channel ...
    assert fake_slack.calls("chat.postMessage", channel=OTHER) == other_before
    assert fake_slack.calls("chat.postEphemeral") == []  # ... nor to anyone privately
    # The deleted message was looked for, and Slack said it is gone.
    looked_for = [
        c.params.get("ts") for c in fake_slack.calls("conversations.replies") if c.params.get("channel") == SHARED
    ]
    assert gone in looked_for


@pytest.fixture
def tada_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    config = tmp_path / "bot.yaml"
    config.write_text('triage:\n  mode: "off"\nshared_channels:\n  ticket_emoji: ":tada:"\n', encoding="utf-8")
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config))).start()
    try:
        yield running
    finally:
        running.stop()


def test_the_ticket_emoji_is_the_configured_one(tada_app: AppUnderTest, fake_slack: FakeSlack) -> None:
    fake_slack.set_members(SHARED, [EXTERNAL_CUSTOMER, AGENT])
    assert "is served" in command(tada_app, fake_slack, ADMIN, "on")
    people = Workspace(fake_slack, tada_app.events_url, SIGNING_SECRET)
    root = str(people.post(EXTERNAL_CUSTOMER, SHARED, "our exports are empty").ts)
    in_thread(fake_slack, root)
    people.react(AGENT, SHARED, root, "ticket")  # the default emoji means nothing here
    settled(tada_app)
    assert ticket_posts(fake_slack) == []
    people.react(AGENT, SHARED, root, "tada")
    ticket = wait_for_ticket(fake_slack, 0)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "opened this ticket with :tada:", ticket.ts))
