"""A served channel's own greeting and triage switch, and a channel turned off in the middle of a
conversation, through the signed Slack edge (`/handoff-channel greeting|triage|off`, Slack Connect
events) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff_slack.core.bot import BotEngine
from handoff_slack.core.bot_config import BotConfig, TriageConfig, TriageMode, TriageQuestion
from handoff_slack.core.channel_settings import MAX_GREETING_CHARS, ChannelSettings
from handoff_slack.listeners.commands.handoff_channel import REFUSAL
from handoff_slack.sandbox.workspace import Workspace
from tests.conftest import AGENT, CUSTOMER, EXTERNAL_CUSTOMER
from tests.support.app_under_test import ADMIN, SIGNING_SECRET, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    agent_reply,
    claim,
    dm,
    is_menu,
    posted_to,
    press_close,
    stored_messages,
    stored_tickets,
    ticket_posts,
    wait_for_menu,
    wait_for_new_ticket,
)
from tests.support.waiting import wait_until
from tests.test_shared_channels import SHARED, command, customer_writes, in_thread, serve, shared_posts

TRIAGE_QUESTION = "What's your order number?"
# The YAML has triage off but a question: a channel may turn it on for its threads.
TRIAGE_CONFIG = f"""
triage:
  mode: "off"
  questions:
    - id: order
      label: Order number
      prompt: {TRIAGE_QUESTION}
escalation:
  no_match_limit: 0
  frustration:
    action: "off"
"""


def text_of(call: Call) -> str:
    return str(call.params.get("text") or "")


def test_a_channels_own_greeting_opens_its_threads_and_pings_nobody(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    serve(app, fake_slack)
    bots_greeting = text_of(in_thread(fake_slack, customer_writes(app, "hi")))

    # As Slack sends a command's text when the admin picked @channel and @here from the autocomplete.
    said = command(app, fake_slack, ADMIN, "greeting <!channel> <!here|here> Welcome to *Acme* support & friends!")
    assert "now open with" in said and "<!channel>" not in said and "<!here" not in said
    root = customer_writes(app, "hello")
    menu = in_thread(fake_slack, root)
    assert is_menu(menu)
    shown = text_of(menu) + str(menu.params.get("blocks"))
    assert "Welcome to *Acme* support &amp; friends!" in shown or "Welcome to *Acme* support & friends!" in shown
    assert "<!channel>" not in shown and "<!here" not in shown and "@channel" in shown
    listed = command(app, fake_slack, ADMIN, "list")
    assert f"<#{SHARED}> — greeting “@channel @here Welcome to *Acme* support" in listed

    # DMs keep the bot's greeting; "default" gives the channel the bot's greeting back.
    dm(app, CUSTOMER, "hi")
    assert "Welcome to *Acme*" not in text_of(wait_for_menu(fake_slack, CUSTOMER))
    assert "bot's greeting again" in command(app, fake_slack, ADMIN, "greeting default")
    assert text_of(in_thread(fake_slack, customer_writes(app, "hey"))) == bots_greeting
    assert command(app, fake_slack, ADMIN, "list") == f"Served channels:\n• <#{SHARED}>"


@pytest.fixture
def triage_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    config = tmp_path / "bot.yaml"
    config.write_text(TRIAGE_CONFIG, encoding="utf-8")
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config))).start()
    try:
        yield running
    finally:
        running.stop()


def test_triage_runs_in_a_channels_threads_as_its_switch_says(triage_app: AppUnderTest, fake_slack: FakeSlack) -> None:
    app = triage_app
    serve(app, fake_slack)

    # As the YAML says (off): a request for a person is a ticket at once.
    before = len(ticket_posts(fake_slack))
    customer_writes(app, "I need a human please")
    wait_for_new_ticket(fake_slack, before)

    # Turned on for this channel: the question comes first, in the thread; the answer goes on the ticket.
    assert "triage questions asked" in command(app, fake_slack, ADMIN, "triage on")
    root = customer_writes(app, "I need a human please")
    in_thread(fake_slack, root, TRIAGE_QUESTION)
    assert len(ticket_posts(fake_slack)) == before + 1
    customer_writes(app, "A-1234", thread_ts=root)
    ticket = wait_for_new_ticket(fake_slack, before + 1)
    assert "A-1234" in str(ticket.call.params.get("blocks"))
    assert "triage questions asked" in command(app, fake_slack, ADMIN, "list")

    # Off: no questions in its threads, even though it has them.
    assert "no triage questions" in command(app, fake_slack, ADMIN, "triage off")
    root = customer_writes(app, "I need a human please")
    wait_for_new_ticket(fake_slack, before + 2)
    assert not [
        c for c in shared_posts(fake_slack) if c.params.get("thread_ts") == root and TRIAGE_QUESTION in text_of(c)
    ]
    assert "as the bot's configuration says" in command(app, fake_slack, ADMIN, "triage default")


def test_help_and_bad_arguments_get_the_usage_with_an_example(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    for text in ("help", "", "triage maybe", "on please", "list everything", "greting hi"):
        said = command(app, fake_slack, ADMIN, text)
        assert "Usage" in said and "For example: `/handoff-channel greeting" in said, (text, said)
    assert "Which greeting?" in command(app, fake_slack, ADMIN, "greeting")
    assert "is not served: `/handoff-channel on` first" in command(app, fake_slack, ADMIN, "greeting Hello!")
    assert "is not served" in command(app, fake_slack, ADMIN, "triage off")
    assert "not here" in command(app, fake_slack, ADMIN, "greeting Hi", channel=SUPPORT_CHANNEL)
    serve(app, fake_slack)
    too_long = "x" * (MAX_GREETING_CHARS + 1)
    assert f"at most {MAX_GREETING_CHARS:,} fit" in command(app, fake_slack, ADMIN, f"greeting {too_long}")
    assert command(app, fake_slack, AGENT, "greeting Hi from support") == REFUSAL
    assert command(app, fake_slack, ADMIN, "list") == f"Served channels:\n• <#{SHARED}>"  # nothing was set
    assert shared_posts(fake_slack) == []  # answers are only the admin's to see


def test_a_channel_turned_off_mid_conversation_says_nothing_more_and_loses_nothing(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    serve(app, fake_slack)
    people = Workspace(fake_slack, app.events_url, SIGNING_SECRET)  # the thread exists in Slack too
    root = str(people.post(EXTERNAL_CUSTOMER, SHARED, "I need a human please").ts)
    ticket = wait_for_new_ticket(fake_slack, 0)
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")
    answer = str(people.post(AGENT, SUPPORT_CHANNEL, "A first answer", thread_ts=ticket.ts).ts)
    copy = in_thread(fake_slack, root, "A first answer")

    # Slack refuses posts in the shared channel for a while: the agent's reply waits in the outbox.
    fake_slack.fail_in(SHARED, "chat.postMessage", status=500, count=None)
    agent_reply(app, AGENT, ticket, "A queued reply for the customer")

    def refused() -> list[Call]:
        posts = fake_slack.calls("chat.postMessage", channel=SHARED)
        return [c for c in posts if not c.ok and "A queued reply" in text_of(c)]

    wait_until(refused, message="the reply's failed attempt")
    # Written before the channel goes off: it waits behind the reply (a conversation's messages go in order).
    people.post(EXTERNAL_CUSTOMER, SHARED, "one more detail before you go", thread_ts=root)

    said = command(app, fake_slack, ADMIN, "off")
    assert "no longer served" in said and "It had 1 open conversation:" in said
    assert app.app is not None
    app.app.services.outbox.retry()  # as the scheduler's delivery retry would, now (Slack still refuses)

    # The queued reply never reaches the channel; the agents are told in the ticket's thread, with why.
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "is no longer served", thread_ts=ticket.ts))
    marked = fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "could not be delivered to the customer", thread_ts=ticket.ts)
    )[0]
    assert "the customer's channel is no longer served" in text_of(marked) and "A queued reply" in text_of(marked)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "one more detail", thread_ts=ticket.ts))
    fake_slack.heal()  # given up for good: Slack answering again changes nothing

    # Later: the customer's messages there are ignored, an agent's reply is marked, the close says nothing there.
    people.post(EXTERNAL_CUSTOMER, SHARED, "hello? anyone?", thread_ts=root)
    agent_reply(app, AGENT, ticket, "A reply after the channel went off")
    fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "could not be delivered to the customer", thread_ts=ticket.ts), 2
    )
    # The agent corrects the answer the customer already has: the copy there stays as it was.
    people.edit(AGENT, SUPPORT_CHANNEL, answer, "A first answer, corrected")
    edited = stored_messages(app, "A first answer, corrected")
    assert len(edited) == 1
    wait_until(lambda: not stored_messages(app, "A first answer, corrected")[0].copy_stale, message="the edit's sync")
    assert [
        c for c in fake_slack.calls("chat.update", channel=SHARED) if c.params.get("ts") == copy.response["ts"]
    ] == []
    press_close(app, fake_slack, AGENT, ticket)
    wait_until(lambda: stored_tickets(app)[0].state == "closed", message="the close")
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "closed this ticket", thread_ts=ticket.ts))
    assert app.app.services.outbox.retry() == 0  # nothing left that could still go out
    posted_there = [text_of(c) for c in fake_slack.calls("chat.postMessage", channel=SHARED) if c.ok]
    assert not any("queued reply" in t or "after the channel" in t or "closed" in t for t in posted_there)
    assert [m.text for m in stored_messages(app) if m.author_user_id == EXTERNAL_CUSTOMER] == [
        "I need a human please",
        "one more detail before you go",
    ]


def test_the_bot_in_a_channel_is_the_bot_with_that_channels_choices() -> None:
    questions = (TriageQuestion(id="order", label="Order number", prompt=TRIAGE_QUESTION),)
    bot = BotEngine(BotConfig(triage=TriageConfig(mode=TriageMode.TRIAGE_FIRST, questions=questions)))
    assert bot.in_channel(ChannelSettings()) is bot  # nothing of its own: the bot itself
    greeted = bot.in_channel(ChannelSettings(greeting="Hi, Acme!"))
    assert greeted is bot.in_channel(ChannelSettings(greeting="Hi, Acme!"))  # one engine per choice
    assert greeted.menu().text == "Hi, Acme!" and bot.menu().text == BotConfig().greeting
    assert greeted.config.triage.mode is TriageMode.TRIAGE_FIRST and greeted.detector is bot.detector
    assert bot.in_channel(ChannelSettings(triage=False)).config.triage.mode is TriageMode.OFF
    assert bot.in_channel(ChannelSettings(triage=True)).config.triage.mode is TriageMode.TRIAGE_FIRST
    off = BotEngine(BotConfig(triage=TriageConfig(mode=TriageMode.OFF, questions=questions)))
    assert off.in_channel(ChannelSettings(triage=True)).config.triage.mode is TriageMode.BEFORE_HANDOFF
