"""The `message` listener's classifier: which handler an event goes to (or none), decided once.

A plain unit test: what each kind does is tested end to end through the HTTP edge elsewhere.
"""

from __future__ import annotations

from typing import Any

import pytest

from handoff_slack.listeners.events.message_routing import MessageKind, classify_message
from tests.support.slack_requests import bot_message, channel_message, dm_message

SUPPORT = "CSUPPORT"
CUSTOMER = "UCUST1"
AGENT = "UAGENT1"
PARENT_TS = "1700000000.000100"
FILE = {"id": "F0001", "name": "log.txt"}

CUSTOMER_MESSAGE = MessageKind.CUSTOMER_MESSAGE
AGENT_REPLY = MessageKind.AGENT_THREAD_REPLY
EDIT = MessageKind.EDIT
UNHANDLED = MessageKind.UNHANDLED
CHANNEL_MESSAGE = MessageKind.CHANNEL_MESSAGE
HOME = "T0HOME"  # the installing team


def reply(text: str = "On it.", **extra: Any) -> dict[str, Any]:
    return channel_message(AGENT, text, SUPPORT, thread_ts=PARENT_TS, **extra)


def edit(channel: str, channel_type: str, subtype: str = "message_changed", **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "subtype": subtype,
        "channel": channel,
        "channel_type": channel_type,
        "ts": "1700000001.000100",
        "event_ts": "1700000001.000100",
        "hidden": True,
    }
    return {**event, **extra}


CASES: list[tuple[str, dict[str, Any], MessageKind]] = [
    # A customer's DM
    ("dm", dm_message(CUSTOMER, "hello"), CUSTOMER_MESSAGE),
    ("dm file share, no text", dm_message(CUSTOMER, "", subtype="file_share", files=[FILE]), CUSTOMER_MESSAGE),
    ("dm from a bot", bot_message("hi", f"D{CUSTOMER}"), UNHANDLED),
    ("dm with a bot_id but no subtype", dm_message(CUSTOMER, "hi", bot_id="BOTHER"), UNHANDLED),
    ("dm without a user", {**dm_message(CUSTOMER, "hi"), "user": None}, UNHANDLED),
    ("dm with only spaces", dm_message(CUSTOMER, "   "), UNHANDLED),
    ("dm with no text field", {k: v for k, v in dm_message(CUSTOMER, "x").items() if k != "text"}, UNHANDLED),
    ("dm join-like subtype", dm_message(CUSTOMER, "joined", subtype="channel_join"), UNHANDLED),
    ("dm thread_broadcast", dm_message(CUSTOMER, "hi", subtype="thread_broadcast"), UNHANDLED),
    # An agent's reply in a ticket's thread
    ("thread reply", reply(), AGENT_REPLY),
    ("thread reply also sent to the channel", reply(subtype="thread_broadcast"), AGENT_REPLY),
    ("thread reply with a file, no text", reply("", subtype="file_share", files=[FILE]), AGENT_REPLY),
    ("the thread's parent (thread_ts == ts)", reply(ts=PARENT_TS), UNHANDLED),
    ("top-level post in the support channel", channel_message(AGENT, "morning all", SUPPORT), UNHANDLED),
    ("thread reply in another channel", channel_message(AGENT, "hi", "CRANDOM", thread_ts=PARENT_TS), UNHANDLED),
    ("thread reply by a bot", bot_message("beep", SUPPORT, thread_ts=PARENT_TS), UNHANDLED),
    ("thread reply without a user", {**reply(), "user": None}, UNHANDLED),
    ("empty thread reply", reply(" \n "), UNHANDLED),
    ("thread reply of another subtype", reply(subtype="channel_topic"), UNHANDLED),
    # Edits and deletes
    ("edit in a dm", edit(f"D{CUSTOMER}", "im", message={"ts": "1.1", "text": "fixed", "user": CUSTOMER}), EDIT),
    ("edit in the support channel", edit(SUPPORT, "channel", message={"ts": "1.1", "user": AGENT}), EDIT),
    ("delete in a dm", edit(f"D{CUSTOMER}", "im", "message_deleted", deleted_ts="1.1"), EDIT),
    (
        "delete in the support channel",
        edit(SUPPORT, "channel", "message_deleted", deleted_ts="1.1", previous_message={"ts": "1.1", "user": AGENT}),
        EDIT,
    ),
    ("edit of our own copy", edit(f"D{CUSTOMER}", "im", message={"ts": "1.1", "bot_id": "BBOT"}), UNHANDLED),
    (
        "delete of our own copy",
        edit(SUPPORT, "channel", "message_deleted", previous_message={"ts": "1.1", "bot_id": "BBOT"}),
        UNHANDLED,
    ),
    ("edit in another channel", edit("CRANDOM", "channel", message={"ts": "1.1", "user": AGENT}), UNHANDLED),
    # A message in another channel by a person of another organisation (Slack Connect): the channel
    # may be served (the ack phase asks); people of our own team, or of no team said, never are.
    ("external user in a channel", channel_message(CUSTOMER, "hi", "CSHARED", user_team="TEXT"), CHANNEL_MESSAGE),
    (
        "external user's thread reply in a channel",
        channel_message(CUSTOMER, "hi", "CSHARED", thread_ts=PARENT_TS, user_team="TEXT"),
        CHANNEL_MESSAGE,
    ),
    ("internal user in a shared channel", channel_message(AGENT, "hi", "CSHARED", user_team=HOME), UNHANDLED),
    ("external user in the support channel", channel_message(CUSTOMER, "hi", SUPPORT, user_team="TEXT"), UNHANDLED),
    ("external bot in a channel", bot_message("hi", "CSHARED", user_team="TEXT"), UNHANDLED),
    ("external user's empty message", channel_message(CUSTOMER, " ", "CSHARED", user_team="TEXT"), UNHANDLED),
    # Anything else
    ("other subtype in the support channel", edit(SUPPORT, "channel", "channel_join", user=AGENT), UNHANDLED),
    ("bot post in another channel", bot_message("hello", "CRANDOM"), UNHANDLED),
]


@pytest.mark.parametrize(("event", "kind"), [(event, kind) for _, event, kind in CASES], ids=[c[0] for c in CASES])
def test_each_message_event_is_classified_once_into_its_kind(event: dict[str, Any], kind: MessageKind) -> None:
    assert classify_message(event, SUPPORT, HOME) is kind


def test_a_dm_is_a_customer_message_even_if_its_channel_were_the_support_channel() -> None:
    """The order the separate listeners had: a customer's DM is checked first."""
    event = dm_message(CUSTOMER, "hi", channel=SUPPORT, thread_ts=PARENT_TS)
    assert classify_message(event, SUPPORT) is CUSTOMER_MESSAGE


def test_the_support_channel_is_a_parameter_not_a_global() -> None:
    event = reply()
    assert classify_message(event, SUPPORT) is AGENT_REPLY
    assert classify_message(event, "COTHER") is UNHANDLED
