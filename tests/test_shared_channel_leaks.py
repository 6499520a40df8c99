"""Nothing internal ever reaches a shared channel (issue 17): a test proves each kind.

A Slack Connect customer's conversation in a thread of a served shared channel, through the signed
Slack edge with Slack Connect-shaped events, on SQLite and PostgreSQL. After each internal kind
(an agent's internal note, also edited; a teammate's reply, also edited; their files; the ticket
message and its updates, with the notes the bot posts in its thread; the bot's warning to an agent
whose reply Slack refused; an agent-assist suggestion; a supervised proposal's card, its proposed
answer and what the customer wrote while it waited; a watch's mirror, its read-only note and an
agent's reply in the watch's thread) a later customer-facing message is waited for in the customer's
thread (a fence: each conversation's messages go in order), and then EVERY call the fake Slack
received about the shared channel (posts, updates, ephemerals, uploads, reactions, whatever the
method) is searched for each internal text and each internal button; so are the reminders of a
waiting ticket (issue 19). The customer's own "still waiting" notices are meant for the thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff_slack.blocks.action_ids import (
    ASSIST_EDIT,
    ASSIST_SEND,
    CLAIM_TICKET,
    CLOSE_TICKET,
    PROPOSAL_APPROVE,
    PROPOSAL_EDIT,
    PROPOSAL_REJECT,
    PROPOSAL_REJECT_CHOICE,
    PROPOSAL_REJECT_FORM,
    REJECT_TO_QUEUE,
    STOP_WATCHING,
    TAKE_OVER,
    WATCH_CONVERSATION,
)
from tests.conftest import AGENT, AGENT_2, EXTERNAL_CUSTOMER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import (
    TicketPost,
    agent_reply,
    block_text,
    claim,
    posted_to,
    press_close,
    ticket_message_recorded,
    ticket_posts,
    wait_for_new_ticket,
    wait_for_ticket_update,
)
from tests.support.slack_requests import channel_message
from tests.support.waiting import wait_until
from tests.test_relay_durability import edited
from tests.test_reminders import run_job_and_deliver, wait_for_reminders
from tests.test_routing import MovableClock
from tests.test_shared_channels import SHARED, customer_writes, in_thread, serve
from tests.test_supervised_mode import open_modal
from tests.test_supervised_mode import press as press_on_card
from tests.test_watch import press as press_in_support
from tests.test_watch import run_watch_command, watch_buttons

HOURS = "We are open LEAK-HOURS nine to five."  # a fixed answer: what agent assist suggests
ANSWER = "LEAK-ANSWER: restart the router."  # a supervised scenario's proposed answer
CONFIG: dict[str, Any] = {
    "triage": {"mode": "off"},
    "escalation": {"no_match_limit": 0, "frustration": {"action": "off"}},
    "supervision": {"timeout_seconds": 300},
    "scenarios": [
        {"id": "hours", "title": "Opening hours", "triggers": ["when are you open"], "answer": HOURS},
        {
            "id": "wifi",
            "title": "Wi-Fi trouble",
            "triggers": ["wifi not working"],
            "supervised": True,
            "steps": [
                {
                    "id": "light",
                    "ask": "Is the Wi-Fi light on?",
                    "choices": [{"label": "On", "goto": "fix"}, {"label": "Off", "goto": "fix"}],
                },
                {"id": "fix", "answer": ANSWER},
            ],
        },
    ],
}
# Buttons only the support channel may show.
INTERNAL_BUTTONS = (
    CLAIM_TICKET,
    CLOSE_TICKET,
    ASSIST_SEND,
    ASSIST_EDIT,
    PROPOSAL_APPROVE,
    PROPOSAL_EDIT,
    PROPOSAL_REJECT,
    WATCH_CONVERSATION,
    TAKE_OVER,
    STOP_WATCHING,
)
# What every ticket message, proposal card and watch message says (blocks.ticket, proposal, watch).
CARD_TEXTS = ("Support request #", "Proposed answer", "Claimed by", "Closed by", "Ticket ")


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    """The app with a fixed answer (for agent assist) and a supervised scenario; the shared channel served."""
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config))).start()
    try:
        fake_slack.set_members(SHARED, [EXTERNAL_CUSTOMER, AGENT])
        serve(running, fake_slack)
        yield running
    finally:
        running.stop()


WRITES = ("chat.", "files.", "reactions.")  # Web API methods that show something in a channel


def about_the_shared_channel(fake: FakeSlack) -> list[Call]:
    """Every Web API call, whatever its method, aimed at the shared channel (`channel`, `channel_id`
    or among `channels`)."""

    def aimed_there(call: Call) -> bool:
        params = call.params
        channels = str(params.get("channels") or "").split(",")
        return SHARED in (params.get("channel"), params.get("channel_id")) or SHARED in channels

    return [call for call in fake.calls() if aimed_there(call)]


def assert_nothing_internal_reached_the_shared_channel(fake: FakeSlack, root: str, *internal: str) -> None:
    calls = about_the_shared_channel(fake)
    writes = [call for call in calls if call.method.startswith(WRITES)]
    assert writes, "the customer's thread saw nothing at all: the fences prove nothing"
    seen = [(call.method, json.dumps(call.params, ensure_ascii=False)) for call in calls]
    seen += [("visible", json.dumps(message, ensure_ascii=False)) for message in fake.messages(SHARED)]
    for text in (*internal, *CARD_TEXTS, *INTERNAL_BUTTONS):
        leaks = [(method, params) for method, params in seen if text in params]
        assert not leaks, f"{text!r} reached the shared channel: {leaks}"
    # Everything the bot showed there it posted into the customer's thread, once (never an update in
    # place, as a ticket message's, nor an ephemeral, nor a file).
    assert {call.method for call in writes} == {"chat.postMessage"}, sorted({call.method for call in writes})
    assert {call.params.get("thread_ts") for call in writes} == {root}


def to_customer(fake: FakeSlack, root: str, text: str) -> None:
    """A fence: `text` reached the customer's thread (anything stored before it for them went first)."""
    in_thread(fake, root, text)


def escalated_thread(app: AppUnderTest, fake: FakeSlack) -> tuple[str, TicketPost]:
    """The customer asks for a person at the top of the shared channel; an agent claims the ticket."""
    before = len(ticket_posts(fake))
    root = customer_writes(app, "I need a human please")
    ticket = ticket_message_recorded(app, wait_for_new_ticket(fake, before))
    to_customer(fake, root, "#1")
    claim(app, fake, AGENT, ticket)
    wait_for_ticket_update(fake, ticket, "Claimed by")
    to_customer(fake, root, "You are now talking with")
    return root, ticket


def in_ticket_thread(fake: FakeSlack, ticket: TicketPost, text: str) -> Call:
    return fake.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, text, thread_ts=ticket.ts))[0]


def test_notes_teammates_the_ticket_message_warnings_and_suggestions_stay_internal(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    root, ticket = escalated_thread(app, fake_slack)
    in_ticket_thread(fake_slack, ticket, "claimed this ticket")  # the bot's note to agents

    # The owner's internal notes (any case), one edited afterwards; a teammate's reply, edited too.
    note_ts = reply_in_thread(app, AGENT, ticket, "note: LEAK-NOTE refund approved internally")
    agent_reply(app, AGENT, ticket, "NOTE: LEAK-CAPS not for the customer")
    teammate = reply_in_thread(app, AGENT_2, ticket, "LEAK-TEAMMATE this customer again")
    change = edited(SUPPORT_CHANNEL, AGENT, note_ts, "note: LEAK-NOTE-EDITED still internal", thread_ts=ticket.ts)
    assert app.slack.event(change).status == 200
    change = edited(SUPPORT_CHANNEL, AGENT_2, teammate, "LEAK-TEAMMATE-EDITED", thread_ts=ticket.ts)
    assert app.slack.event(change).status == 200
    # Files: a teammate's, and one shared with the owner's note.
    for user, text, name in ((AGENT_2, "LEAK-SKETCH", "leak-sketch.png"), (AGENT, "note: LEAK-SHOT", "leak-shot.png")):
        image = fake_slack.host_file(name, b"\x89PNG\r\n\x1a\n", "image/png", user=user)
        event = channel_message(
            user, text, SUPPORT_CHANNEL, ts=new_ts(), thread_ts=ticket.ts, subtype="file_share", files=[image]
        )
        assert app.slack.event(event).status == 200
    agent_reply(app, AGENT, ticket, "First visible reply")
    to_customer(fake_slack, root, "First visible reply")

    # A reply Slack refuses for good: its author is warned in the ticket's thread, quoting it.
    fake_slack.fail_in(SHARED, "chat.postMessage", status=200, error="restricted_action")
    agent_reply(app, AGENT, ticket, "LEAK-REFUSED reply")
    in_ticket_thread(fake_slack, ticket, "could not be delivered")  # (the refused reply itself is the customer's)

    # Agent assist: the customer's question gets a suggested reply in the ticket's thread only.
    customer_writes(app, "when are you open", thread_ts=root)
    wait_until(
        lambda: any("Suggested reply" in block_text(c.params.get("blocks")) for c in thread_calls(fake_slack, ticket)),
        message="the suggestion in the ticket's thread",
    )
    agent_reply(app, AGENT, ticket, "Second visible reply")
    to_customer(fake_slack, root, "Second visible reply")

    # Closing: the ticket message is updated and the bot notes it in the thread; the customer is told.
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_ticket_update(fake_slack, ticket, "Closed by")
    in_ticket_thread(fake_slack, ticket, "closed this ticket")
    to_customer(fake_slack, root, "has closed this conversation")

    assert_nothing_internal_reached_the_shared_channel(
        fake_slack,
        root,
        "LEAK-NOTE",
        "LEAK-CAPS",
        "LEAK-TEAMMATE",
        "LEAK-SKETCH",
        "LEAK-SHOT",
        "leak-sketch.png",
        "leak-shot.png",
        "LEAK-HOURS",
        "Suggested reply",
        "claimed this ticket",
        "closed this ticket",
        "could not be delivered",
        ticket.ts,  # no reference to the ticket message at all
    )
    fake_slack.assert_no_call("files.getUploadURLExternal")  # no internal file went anywhere


def test_a_supervised_proposal_stays_internal_until_an_agent_decides(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    before = len(ticket_posts(fake_slack))
    root = customer_writes(app, "wifi not working")
    to_customer(fake_slack, root, "Is the Wi-Fi light on?")
    customer_writes(app, "Off", thread_ts=root)
    card = ticket_message_recorded(app, wait_for_new_ticket(fake_slack, before))
    assert ANSWER in block_text(card.call.params["blocks"])  # the card shows the proposed answer ...
    to_customer(fake_slack, root, "Let me check my answer with a colleague")  # ... the customer is told only this

    # What the customer writes meanwhile is passed on to the proposal's thread.
    customer_writes(app, "LEAK-WAITING are you there?", thread_ts=root)
    in_ticket_thread(fake_slack, card, "LEAK-WAITING")
    to_customer(fake_slack, root, "passed that on")

    # Rejected to the queue: the card becomes a ticket (keeping the proposal as context).
    press_on_card(app, fake_slack, AGENT, PROPOSAL_REJECT, card, "reject")
    modal = open_modal(fake_slack, AGENT, PROPOSAL_REJECT_FORM)
    selected = {"type": "radio_buttons", "selected_option": {"value": REJECT_TO_QUEUE}}
    reply = app.slack.view_submission(
        AGENT,
        PROPOSAL_REJECT_FORM,
        {PROPOSAL_REJECT_CHOICE: {PROPOSAL_REJECT_CHOICE: selected}},
        private_metadata=modal["private_metadata"],
    )
    assert reply.status == 200, reply
    updated = wait_for_ticket_update(fake_slack, card, "Waiting for an agent")
    assert ANSWER in block_text(updated.params["blocks"])
    to_customer(fake_slack, root, "#1")

    assert_nothing_internal_reached_the_shared_channel(fake_slack, root, ANSWER, "LEAK-ANSWER", card.ts)


def test_a_watch_mirror_and_replies_in_its_thread_stay_internal(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    root = customer_writes(app, "hello")
    to_customer(fake_slack, root, "Talk to an agent")  # the menu

    before = len(ticket_posts(fake_slack))
    conversation = watch_buttons(run_watch_command(app, fake_slack, AGENT))[EXTERNAL_CUSTOMER]
    press_in_support(app, fake_slack, AGENT, WATCH_CONVERSATION, conversation, "watch")
    watch = ticket_message_recorded(app, wait_for_new_ticket(fake_slack, before))

    # The mirror shows the customer's messages and the bot's replies in the watch's thread.
    customer_writes(app, "when are you open", thread_ts=root)
    to_customer(fake_slack, root, "LEAK-HOURS")
    wait_until(
        lambda: any("LEAK-HOURS" in (c.params.get("text") or "") for c in thread_calls(fake_slack, watch)),
        message="the bot's reply mirrored",
    )
    # An agent's reply in the watch's thread is not relayed; the bot says so there, once.
    agent_reply(app, AGENT_2, watch, "LEAK-WATCHER what is this customer up to")
    in_ticket_thread(fake_slack, watch, "not sent to the customer")
    said = len(fake_slack.messages(SHARED, thread_ts=root))
    customer_writes(app, "menu", thread_ts=root)
    # The bot's answer to a later message: the watcher's reply, had it gone to the customer, went first.
    wait_until(lambda: len(fake_slack.messages(SHARED, thread_ts=root)) > said, message="the later menu")
    wait_until(lambda: len(thread_calls(fake_slack, watch)) >= 4, message="the later messages mirrored")

    assert_nothing_internal_reached_the_shared_channel(
        fake_slack, root, "LEAK-WATCHER", "not sent to the customer", ":robot_face:", watch.ts
    )


# -- helpers ----------------------------------------------------------------------------------------


def thread_calls(fake: FakeSlack, ticket: TicketPost) -> list[Call]:
    return [
        c for c in fake.calls("chat.postMessage", channel=SUPPORT_CHANNEL) if c.params.get("thread_ts") == ticket.ts
    ]


def reply_in_thread(app: AppUnderTest, user: str, ticket: TicketPost, text: str) -> str:
    """`user` replies in the ticket's thread; the reply's ts."""
    ts = new_ts()
    reply = app.slack.event(channel_message(user, text, SUPPORT_CHANNEL, ts=ts, thread_ts=ticket.ts))
    assert reply.status == 200, reply
    return ts


def test_reminders_and_the_sla_mark_of_a_waiting_thread_ticket_stay_internal(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    """Issue 19's reminders (default steps: agents at 15 min, admins at 45) and the first-response
    breach (normal: 60 min) of a Slack Connect customer's ticket go to its thread in the support
    channel only."""
    clock = MovableClock()
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config)), clock).start()
    try:
        fake_slack.set_members(SHARED, [EXTERNAL_CUSTOMER, AGENT])
        serve(running, fake_slack)
        before = len(ticket_posts(fake_slack))
        root = customer_writes(running, "I need a human please")
        ticket = ticket_message_recorded(running, wait_for_new_ticket(fake_slack, before))
        to_customer(fake_slack, root, "#1")

        clock.offset = timedelta(minutes=61)
        run_job_and_deliver(running)
        # Both steps' notes are in the ticket's thread, and the breach on its message: the outbox sent
        # them in order, so a copy meant for the customer's thread would have gone by now too.
        assert len(wait_for_reminders(fake_slack, ticket, 2)) == 2
        wait_for_ticket_update(fake_slack, ticket, "SLA breached")
        assert_nothing_internal_reached_the_shared_channel(
            fake_slack, root, "has waited unclaimed", "SLA breached", "<!here>", ticket.ts
        )
    finally:
        running.stop()
