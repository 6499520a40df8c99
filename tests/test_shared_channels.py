"""Shared channels as a front door, through the signed Slack edge with Slack-Connect-shaped events:
`/handoff-channel on|off|list`, a customer's thread conversation (menu, escalation, claim, relay
both ways in the thread), what is ignored quietly, and nothing internal reaching the shared channel.
"""

from __future__ import annotations

from typing import Any

from handoff_slack.blocks.action_ids import TALK_TO_AGENT
from handoff_slack.listeners.actions.bot_buttons import ONLY_IN_DM
from handoff_slack.listeners.commands.handoff_channel import REFUSAL
from tests.conftest import AGENT, AGENT_2, CUSTOMER, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import (
    agent_reply,
    claim,
    is_menu,
    posted_to,
    stored_messages,
    stored_tickets,
    ticket_posts,
    told_in_thread,
    wait_for_menu,
    wait_for_new_ticket,
)
from tests.support.slack_requests import bot_message, channel_message, dm_message

SHARED = "CSHARED"  # shared with the customer's organisation (Slack Connect)
OTHER = "COTHER"  # shared too, but never turned on
HOME = "T0HOME"  # the installing team (the fake Slack's)


def command(app: AppUnderTest, fake: FakeSlack, user: str, text: str, channel: str = SHARED) -> str:
    """`/handoff-channel <text>` run by `user` in `channel`; the ephemeral answer's text."""
    name = f"channel-{new_ts()}"
    reply = app.slack.slash_command("/handoff-channel", text, user, channel, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    [answer] = fake.wait_for(f"response_url:{name}")
    assert answer.params.get("response_type") == "ephemeral"
    return str(answer.params.get("text"))


def customer_writes(
    app: AppUnderTest, text: str, channel: str = SHARED, thread_ts: str | None = None, user: str = EXTERNAL_CUSTOMER
) -> str:
    """A Slack Connect customer's message in `channel` (their team is not ours); its ts."""
    ts = new_ts()
    event = channel_message(
        user,
        text,
        channel,
        ts=ts,
        thread_ts=thread_ts,
        team=EXTERNAL_TEAM,
        user_team=EXTERNAL_TEAM,
        source_team=EXTERNAL_TEAM,
    )
    reply = app.slack.event(event, team_id=HOME, is_ext_shared_channel=True)
    assert reply.status == 200, reply
    return ts


def event(app: AppUnderTest, body: dict[str, Any]) -> None:
    reply = app.slack.event(body, team_id=HOME, is_ext_shared_channel=True)
    assert reply.status == 200, reply


def in_thread(fake: FakeSlack, root: str, contains: str = "", count: int = 1) -> Call:
    return fake.wait_for("chat.postMessage", posted_to(SHARED, contains, thread_ts=root), count)[count - 1]


def shared_posts(fake: FakeSlack) -> list[Call]:
    return fake.calls("chat.postMessage", channel=SHARED)


def serve(app: AppUnderTest, fake: FakeSlack) -> None:
    fake.set_members(SHARED, [EXTERNAL_CUSTOMER, AGENT])
    assert "is served" in command(app, fake, ADMIN, "on")


def test_admins_turn_a_channel_on_list_it_and_turn_it_off(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    assert "No channel is served" in command(app, fake_slack, ADMIN, "list")
    assert "is served:" in command(app, fake_slack, ADMIN, "on")
    assert "is served already" in command(app, fake_slack, ADMIN, "on")
    assert f"<#{SHARED}>" in command(app, fake_slack, ADMIN, "list", channel=SUPPORT_CHANNEL)
    assert "not here" in command(app, fake_slack, ADMIN, "on", channel=SUPPORT_CHANNEL)
    assert "Usage" in command(app, fake_slack, ADMIN, "sideways")
    assert "no longer served" in command(app, fake_slack, ADMIN, "off")
    assert "was not served" in command(app, fake_slack, ADMIN, "off")
    assert "No channel is served" in command(app, fake_slack, ADMIN, "list")
    assert shared_posts(fake_slack) == []  # the command never makes the bot speak in the channel


def test_only_admins_choose_the_served_channels(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    for user, option in ((AGENT, "on"), (CUSTOMER, "on"), (EXTERNAL_CUSTOMER, "list")):
        assert command(app, fake_slack, user, option) == REFUSAL
    assert "No channel is served" in command(app, fake_slack, ADMIN, "list")
    serve(app, fake_slack)
    assert command(app, fake_slack, AGENT, "off") == REFUSAL
    assert f"<#{SHARED}>" in command(app, fake_slack, ADMIN, "list")


def test_a_customers_thread_conversation_from_the_menu_to_the_relay(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    serve(app, fake_slack)
    root = customer_writes(app, "hi")
    menu = in_thread(fake_slack, root)
    assert is_menu(menu)

    # "Talk to an agent" pressed in the thread by an internal person acts for nobody ...
    before = len(ticket_posts(fake_slack))
    pressed = app.slack.block_action(
        AGENT,
        TALK_TO_AGENT,
        "menu",
        team_id=HOME,
        channel_id=SHARED,
        message_ts=menu.response["ts"],
        thread_ts=root,
        response_url=fake_slack.response_url("internal-press"),
    )
    assert pressed.status == 200
    # Told in the thread where they pressed, not at the channel's top level (a response_url's place).
    assert told_in_thread(fake_slack, AGENT, SHARED, root)["text"] == ONLY_IN_DM
    assert fake_slack.calls("response_url:internal-press") == []
    assert stored_tickets(app) == []  # the step commits before the ack: none was made
    # ... and by the customer escalates the thread's conversation.
    pressed = app.slack.block_action(
        EXTERNAL_CUSTOMER,
        TALK_TO_AGENT,
        "menu",
        team_id=EXTERNAL_TEAM,
        channel_id=SHARED,
        message_ts=menu.response["ts"],
        thread_ts=root,
    )
    assert pressed.status == 200
    ticket = wait_for_new_ticket(fake_slack, before)
    assert len(ticket_posts(fake_slack)) == before + 1
    in_thread(fake_slack, root, "#1")  # the queue notice, in the thread

    customer_writes(app, "it is still broken", thread_ts=root)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "it is still broken", thread_ts=ticket.ts))

    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")
    agent_reply(app, AGENT, ticket, "Hello from support")
    in_thread(fake_slack, root, "Hello from support")
    customer_writes(app, "thanks, that helps", thread_ts=root)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "thanks, that helps", thread_ts=ticket.ts))

    # Nothing internal reaches the shared channel: the owner's note, a teammate's reply.
    agent_reply(app, AGENT, ticket, "note: refund approved internally")
    agent_reply(app, AGENT_2, ticket, "between us: this customer again")
    agent_reply(app, AGENT, ticket, "One more thing")
    in_thread(fake_slack, root, "One more thing")  # relays go in order: anything before it is out
    said = [str(c.params.get("text")) for c in shared_posts(fake_slack)]
    assert not any("refund approved" in text or "between us" in text for text in said), said
    # Everything went into the thread, nothing at the channel's top level.
    assert [c for c in shared_posts(fake_slack) if c.params.get("thread_ts") != root] == []


def test_a_customer_can_escalate_in_the_thread_by_typing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    serve(app, fake_slack)
    before = len(ticket_posts(fake_slack))
    root = customer_writes(app, "I need a human please")
    ticket = wait_for_new_ticket(fake_slack, before)
    in_thread(fake_slack, root, "#1")
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.customer.user_id == EXTERNAL_CUSTOMER


def test_what_the_app_ignores_in_channels(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    serve(app, fake_slack)
    fake_slack.set_members(OTHER, [EXTERNAL_CUSTOMER, AGENT])
    # An internal person in a served channel (their team is ours) starts nothing ...
    event(app, channel_message(AGENT, "I need a human please", SHARED, team=HOME, user_team=HOME, source_team=HOME))
    # ... nor does a message without user_team, a bot's, a customer's in a channel not served,
    # or a customer's reply in a thread the app did not start.
    event(app, channel_message(EXTERNAL_CUSTOMER, "hi", SHARED, team=EXTERNAL_TEAM))
    event(app, bot_message("I need a human please", SHARED))
    customer_writes(app, "I need a human please", channel=OTHER)
    customer_writes(app, "I need a human please", thread_ts="1700000000.000100")
    # A channel turned off is ignored again.
    root = customer_writes(app, "hi")
    in_thread(fake_slack, root)
    assert "no longer served" in command(app, fake_slack, ADMIN, "off")
    customer_writes(app, "hello again", thread_ts=root)
    customer_writes(app, "I need a human please")

    # Each event above was acked after its step committed: none stored a message or posted anything.
    assert [m.text for m in stored_messages(app)] == ["hi"]
    assert len(shared_posts(fake_slack)) == 1  # the menu in the served thread, before it was turned off
    assert fake_slack.calls("chat.postMessage", channel=OTHER) == []
    assert ticket_posts(fake_slack) == []


def test_a_customers_dm_and_thread_side_by_side(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    serve(app, fake_slack)
    root = customer_writes(app, "hi")
    assert is_menu(in_thread(fake_slack, root))
    event(app, dm_message(EXTERNAL_CUSTOMER, "hi", team=EXTERNAL_TEAM, user_team=EXTERNAL_TEAM))
    menu = wait_for_menu(fake_slack, EXTERNAL_CUSTOMER)
    assert menu.params.get("thread_ts") is None

    # Escalating the DM leaves the thread's conversation with the bot, and the other way round.
    before = len(ticket_posts(fake_slack))
    customer_writes(app, "I need a human please", thread_ts=root)
    ticket = wait_for_new_ticket(fake_slack, before)
    in_thread(fake_slack, root, "#1")
    dm_texts = [
        str(c.params.get("text")) for c in fake_slack.calls("chat.postMessage", channel=f"D{EXTERNAL_CUSTOMER}")
    ]
    assert not any("#1" in text for text in dm_texts), dm_texts
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")
    agent_reply(app, AGENT, ticket, "Answer for the thread")
    in_thread(fake_slack, root, "Answer for the thread")
    assert not fake_slack.calls("chat.postMessage", channel=f"D{EXTERNAL_CUSTOMER}", text="Answer for the thread")
