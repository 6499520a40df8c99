"""Durable relay through the HTTP edge: long texts, edits, deletes, undeliverable messages, floods."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import AGENT, CUSTOMER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack, new_ts
from tests.support.journeys import (
    TicketPost,
    agent_reply,
    agent_says,
    connected_ticket,
    customer_says,
    dm,
    dm_posts,
    is_menu,
    posted_to,
    press_close,
    stored_messages,
    thread_posts,
    wait_for_dm,
    wait_for_menu,
)
from tests.support.slack_requests import channel_message, dm_message
from tests.support.waiting import wait_until

SLACK_TEXT_LIMIT = 40_000


def channel_type(channel: str) -> str:
    return "im" if channel.startswith("D") else "channel"


def edited(channel: str, user: str, ts: str, text: str, **extra: object) -> dict[str, object]:
    """Slack's message_changed event for `ts`, now reading `text` (`extra`: fields of the message)."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": new_ts(),
        "message": {"type": "message", "user": user, "text": text, "ts": ts, "edited": {"user": user}, **extra},
        "previous_message": {"type": "message", "user": user, "text": "(before)", "ts": ts, **extra},
    }


def deleted(channel: str, user: str, ts: str, **extra: object) -> dict[str, object]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": new_ts(),
        "deleted_ts": ts,
        "previous_message": {"type": "message", "user": user, "text": "(before)", "ts": ts, **extra},
    }


def customer_event(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost, text: str) -> tuple[str, str]:
    """The customer writes `text`; returns (their message ts, its copy's ts in the thread)."""
    event = dm_message(CUSTOMER, text)
    assert app.slack.event(event).status == 200
    copy = fake.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, text, thread_ts=ticket.ts))[0]
    return event["ts"], copy.response["ts"]


def agent_event(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost, text: str) -> tuple[str, str]:
    event = channel_message(AGENT, text, SUPPORT_CHANNEL, thread_ts=ticket.ts)
    assert app.slack.event(event).status == 200
    copy = fake.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", text))[0]
    return event["ts"], copy.response["ts"]


def test_a_text_over_slacks_limit_arrives_whole_in_parts(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    words = [f"w{i:05d}" for i in range(6000)]  # 41,999 characters: over what one post takes, under the guard's limit
    dm(app, CUSTOMER, " ".join(words))
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == ticket.ts, count=3)
    parts = [c.params["text"] for c in thread_posts(fake_slack, ticket)[1:]]  # after the claim note
    assert len(parts) == 2 and all(len(p) <= SLACK_TEXT_LIMIT for p in parts)
    assert " ".join(parts).split() == words


def test_a_customer_edit_updates_the_copy_in_the_thread(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    source, copy = customer_event(app, fake_slack, ticket, "my order is 1234")

    assert app.slack.event(edited(f"D{CUSTOMER}", CUSTOMER, source, "my order is 1243")).status == 200

    update = fake_slack.wait_for("chat.update", lambda c: c.params.get("ts") == copy)[0]
    assert update.params["channel"] == SUPPORT_CHANNEL
    assert update.params["text"].startswith("my order is 1243") and "edited" in update.params["text"]


def test_an_agent_edit_updates_the_copy_in_the_dm(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    source, copy = agent_event(app, fake_slack, ticket, "refund of 10 EUR")

    change = edited(SUPPORT_CHANNEL, AGENT, source, "refund of 100 EUR", thread_ts=ticket.ts)
    assert app.slack.event(change).status == 200

    update = fake_slack.wait_for("chat.update", lambda c: c.params.get("ts") == copy)[0]
    assert update.params["channel"] == f"D{CUSTOMER}" and "refund of 100 EUR" in update.params["text"]


def test_an_unchanged_text_is_not_re_sent(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    source, copy = customer_event(app, fake_slack, ticket, "see https://example.com")
    # Slack reports link unfurls as message_changed with the same text.
    assert app.slack.event(edited(f"D{CUSTOMER}", CUSTOMER, source, "see https://example.com"))
    customer_says(app, fake_slack, CUSTOMER, ticket, "a later message")  # processing has moved on
    fake_slack.assert_no_call("chat.update", lambda c: c.params.get("ts") == copy)


def test_a_customer_delete_is_marked_in_the_thread(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    source, copy = customer_event(app, fake_slack, ticket, "my password is hunter2")

    assert app.slack.event(deleted(f"D{CUSTOMER}", CUSTOMER, source)).status == 200

    update = fake_slack.wait_for("chat.update", lambda c: c.params.get("ts") == copy)[0]
    assert "hunter2" not in update.params["text"] and "deleted" in update.params["text"]


def test_an_agent_delete_removes_the_copy_from_the_dm(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    source, copy = agent_event(app, fake_slack, ticket, "meant for another customer")

    assert app.slack.event(deleted(SUPPORT_CHANNEL, AGENT, source, thread_ts=ticket.ts)).status == 200

    removal = fake_slack.wait_for("chat.delete", lambda c: c.params.get("ts") == copy)[0]
    assert removal.params["channel"] == f"D{CUSTOMER}"


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_after_the_ticket_is_closed_the_former_owner_cannot_change_what_the_customer_was_told(
    app: AppUnderTest, fake_slack: FakeSlack, change: str
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    source, copy = agent_event(app, fake_slack, ticket, "refund of 10 EUR")
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")

    if change == "edit":
        event = edited(SUPPORT_CHANNEL, AGENT, source, "refund of 0 EUR", thread_ts=ticket.ts)
    else:
        event = deleted(SUPPORT_CHANNEL, AGENT, source, thread_ts=ticket.ts)
    assert app.slack.event(event).status == 200

    [stored] = stored_messages(app, "refund of 10 EUR")  # decided before the ack: the record is unchanged
    assert stored.deleted_at is None and not stored.copy_stale
    dm(app, CUSTOMER, "hello again")  # back with the bot: processing has moved on
    wait_for_menu(fake_slack, CUSTOMER)
    fake_slack.assert_no_call("chat.update", lambda c: c.params.get("ts") == copy)
    fake_slack.assert_no_call("chat.delete", lambda c: c.params.get("ts") == copy)


def test_an_undeliverable_reply_is_reported_to_the_agent_and_later_replies_still_arrive(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    fake_slack.fail("chat.postMessage", status=200, error="channel_not_found", count=1)

    assert app.slack.event(channel_message(AGENT, "lost reply 42", SUPPORT_CHANNEL, thread_ts=ticket.ts)).status == 200

    warning = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "could not be delivered", ticket.ts))
    assert "lost reply 42" in warning[0].params["text"] and "channel_not_found" in warning[0].params["text"]
    agent_says(app, fake_slack, AGENT, ticket, "second try")
    assert dm_posts(fake_slack, CUSTOMER, "lost reply 42") == []
    assert [m.delivery_state for m in stored_messages(app, "lost reply 42")] == ["failed"]


def test_relayed_messages_show_their_authors_name_and_avatar(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    in_thread = customer_says(app, fake_slack, CUSTOMER, ticket, "from Jane")
    in_dm = agent_says(app, fake_slack, AGENT, ticket, "from Alice")

    assert (in_thread.params["username"], in_thread.params["icon_url"]) == (
        "Jane",
        f"https://fake.slack.com/avatars/{CUSTOMER}_48.png",
    )
    assert (in_dm.params["username"], in_dm.params["icon_url"]) == (
        "Alice",
        f"https://fake.slack.com/avatars/{AGENT}_48.png",
    )
    # What the customer sees in their DM: the agent's face, not the bot's.
    [shown] = [m for m in fake_slack.messages(f"D{CUSTOMER}") if m.get("text") == "from Alice"]
    assert shown["icons"] == {"image_48": f"https://fake.slack.com/avatars/{AGENT}_48.png"}


@pytest.fixture
def impatient_app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_DELIVERY_GIVE_UP_SECONDS="2")).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_reply_slack_keeps_failing_is_given_up_after_the_give_up_time_and_the_agent_told(
    impatient_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = impatient_app
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    # Slack's 500s never end for this reply; each retry is transient, so only the give-up time ends it.
    fake_slack.fail_when("chat.postMessage", lambda p: p.get("text") == "stuck reply 7", status=500, count=1000)

    agent_reply(app, AGENT, ticket, "stuck reply 7")

    warning = fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "could not be delivered", ticket.ts), timeout=15
    )
    assert "stuck reply 7" in warning[0].params["text"] and "internal_error" in warning[0].params["text"]
    assert [m.delivery_state for m in stored_messages(app, "stuck reply 7")] == ["failed"]
    agent_says(app, fake_slack, AGENT, ticket, "the next reply flows")  # nothing is held back behind it
    assert [m for m in fake_slack.messages(f"D{CUSTOMER}") if m.get("text") == "stuck reply 7"] == []


def test_an_edit_before_delivery_sends_only_the_new_text(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, count=4)  # the client's whole retry budget
    event = dm_message(CUSTOMER, "tpyo")
    assert app.slack.event(event).status == 200
    wait_until(lambda: [m.attempts for m in stored_messages(app, "tpyo")] == [1], message="a failed attempt")

    assert app.slack.event(edited(f"D{CUSTOMER}", CUSTOMER, event["ts"], "typo")).status == 200

    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "typo", ticket.ts))
    assert thread_posts(fake_slack, ticket, "tpyo") == []


@pytest.fixture
def flood_app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_FLOOD_LIMIT="3")).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_flooding_customer_is_asked_once_to_slow_down_and_nothing_is_lost(
    flood_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    for i in range(8):
        dm(flood_app, CUSTOMER, f"spam {i}")
    wait_for_dm(fake_slack, CUSTOMER, "sending messages very quickly")
    wait_until(lambda: len(stored_messages(flood_app)) == 8, message="all 8 messages stored")
    dm(flood_app, CUSTOMER, "agent")  # an explicit request still works while flooding
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "in the queue"))
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if is_menu(c)]) == 3
    # Besides the three answers before the flood limit: the third message's "stuck" offer (two turns
    # going nowhere, core.stuck), the slow-down notice once, and the queue notice; nothing per message.
    others = [c.params["text"] for c in dm_posts(fake_slack, CUSTOMER, None) if not is_menu(c)]
    assert len(others) == 3, others
    assert "getting you anywhere" in others[0]
    assert "sending messages very quickly" in others[1] and "in the queue" in others[2]


def test_a_flooding_connected_customer_still_reaches_the_agent_in_order(
    flood_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(flood_app, fake_slack, CUSTOMER, AGENT)
    texts = [f"burst {i}" for i in range(10)]
    for text in texts:
        dm(flood_app, CUSTOMER, text)
    fake_slack.wait_for("chat.postMessage", lambda c: (c.params.get("text") or "") == "burst 9")
    relayed = [c.params["text"] for c in thread_posts(fake_slack, ticket) if c.params["text"].startswith("burst")]
    assert relayed == texts


def test_empty_messages_are_ignored_quietly(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    stored_before = len(stored_messages(app))
    assert app.slack.event(dm_message(CUSTOMER, "   ")).status == 200
    assert app.slack.event(channel_message(AGENT, "", SUPPORT_CHANNEL, thread_ts=ticket.ts)).status == 200
    customer_says(app, fake_slack, CUSTOMER, ticket, "something real")  # processing has moved on
    assert len(stored_messages(app)) == stored_before + 1
    assert [c.params["text"] for c in thread_posts(fake_slack, ticket)][-1] == "something real"
    assert dm_posts(fake_slack, CUSTOMER, " ") == [] and dm_posts(fake_slack, CUSTOMER, "") == []
