"""A mention of the app in the emulated workspace reaches the app as Slack sends it: the `message`
event and then Slack's `app_mention` (its own envelope, the same Slack Connect fields), only in a
channel the app is a member of and never for a DM. A person mentions the app by typing "@handoff"
(the app picked from Slack's list); a typed "<@UBOT>" is text, as Slack's client escapes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.people import typed_message
from handoff_slack.sandbox.personas import EXTERNAL_TEAM, Personas, seed
from handoff_slack.sandbox.web.page_model import PageModel
from handoff_slack.sandbox.workspace import Workspace
from tests.sandbox.recorder import SECRET, Recorder

HOME = "T0HOME"
BOT = "UBOT"


class Mentions:
    def __init__(self, emulator: SlackEmulator, recorder: Recorder, cast: Personas) -> None:
        self.emulator, self.recorder, self.cast = emulator, recorder, cast
        self.people = Workspace(emulator, recorder.url + "/slack/events", SECRET)
        self.shared = cast.shared_channel
        self.erin, self.sam = cast.customer_2.user_id, cast.colleague_2.user_id
        self.alice = cast.agent_1.user_id

    def sent(self, action: Any) -> list[dict[str, Any]]:
        """The envelopes ``action()`` made the emulator send to the app."""
        before = len(self.recorder.events)
        action()
        assert self.recorder.rejected == 0
        return self.recorder.events[before:]


@pytest.fixture
def mentions() -> Iterator[Mentions]:
    emulator = SlackEmulator().start()
    recorder = Recorder()
    try:
        yield Mentions(emulator, recorder, seed(emulator))
    finally:
        recorder.stop()
        emulator.stop()


def test_a_mention_in_the_shared_channel_comes_as_message_and_then_app_mention(mentions: Mentions) -> None:
    acted: list[Any] = []
    message, mention = mentions.sent(
        lambda: acted.append(mentions.people.post(mentions.erin, mentions.shared, "@handoff our invoices fail"))
    )
    ts = acted[0].ts
    assert acted[0].accepted and acted[0].mention is not None and acted[0].mention.status == 200

    assert message["event"]["type"] == "message" and message["event"]["text"] == f"<@{BOT}> our invoices fail"
    assert message["event"]["blocks"][0]["elements"][0]["elements"] == [
        {"type": "user", "user_id": BOT},
        {"type": "text", "text": " our invoices fail"},
    ]
    # Its own envelope, shaped as the message's: installing team, the bot's authorization, Slack Connect.
    assert mention["event_id"] != message["event_id"] and mention["event_context"] != message["event_context"]
    for key in ("token", "team_id", "api_app_id", "type", "authorizations", "is_ext_shared_channel"):
        assert mention[key] == message[key], key
    assert mention["team_id"] == HOME and mention["is_ext_shared_channel"] is True
    assert mention["authorizations"] == [
        {"enterprise_id": None, "team_id": HOME, "user_id": BOT, "is_bot": True, "is_enterprise_install": False}
    ]
    event = mention["event"]
    assert {k: v for k, v in event.items() if k not in ("blocks", "client_msg_id")} == {
        "type": "app_mention",
        "user": mentions.erin,
        "text": f"<@{BOT}> our invoices fail",
        "ts": ts,
        "event_ts": ts,
        "channel": mentions.shared,
        "team": EXTERNAL_TEAM,
        "user_team": EXTERNAL_TEAM,
        "source_team": EXTERNAL_TEAM,
    }
    assert event["blocks"] == message["event"]["blocks"]
    assert event["client_msg_id"] == message["event"]["client_msg_id"]  # one message, two events


def test_a_colleagues_mention_in_a_thread_says_its_thread(mentions: Mentions) -> None:
    people, shared = mentions.people, mentions.shared
    root = people.post(mentions.erin, shared, "Invoices fail")
    message, mention = mentions.sent(
        lambda: people.post(mentions.sam, shared, "same for us, @handoff!", thread_ts=root.ts)
    )
    event = mention["event"]
    assert event["parent_user_id"] == message["event"]["parent_user_id"] == mentions.erin
    assert (event["type"], event["user"], event["thread_ts"], event["channel"]) == (
        "app_mention",
        mentions.sam,
        root.ts,
        shared,
    )
    assert event["text"] == f"same for us, <@{BOT}>!" and event["ts"] == event["event_ts"] == message["event"]["ts"]
    assert event["user_team"] == event["source_team"] == event["team"] == EXTERNAL_TEAM
    assert not {"channel_type", "subtype"} & set(event)


def test_a_file_shared_with_a_mention_and_an_internal_persons_mention(mentions: Mentions) -> None:
    people = mentions.people
    _, mention = mentions.sent(
        lambda: people.share_file(mentions.sam, mentions.shared, "log.txt", b"500", text="@handoff see this")
    )
    event = mention["event"]
    assert event["type"] == "app_mention" and event["files"][0]["name"] == "log.txt" and "subtype" not in event

    # In a channel of the home team only: the same event, without Slack Connect's fields.
    support = mentions.cast.support_channel
    _, internal = mentions.sent(lambda: people.post(mentions.alice, support, "@handoff hello"))
    assert internal["event"]["type"] == "app_mention" and internal["is_ext_shared_channel"] is False
    assert internal["event"]["team"] == HOME and not {"user_team", "source_team"} & set(internal["event"])


@pytest.mark.parametrize(
    "typed",
    [
        "no mention here",
        "<@UBOT> typed by hand",  # Slack's client escapes it: text, not a mention
        "mail me at sam@handoff.example",
        "@handoffs is another name",
        "@handoff-bot is another name",
    ],
)
def test_text_that_is_no_mention_sends_only_the_message(mentions: Mentions, typed: str) -> None:
    [message] = mentions.sent(lambda: mentions.people.post(mentions.erin, mentions.shared, typed))
    assert message["event"]["type"] == "message" and f"<@{BOT}>" not in message["event"]["text"]


def test_no_app_mention_in_a_dm_or_where_the_app_is_not_a_member(mentions: Mentions) -> None:
    people = mentions.people
    dm = people.dm(mentions.erin)
    [message] = mentions.sent(lambda: people.post(mentions.erin, dm, "@handoff help"))
    assert message["event"]["channel_type"] == "im" and message["event"]["text"] == f"<@{BOT}> help"

    # Where the app is not a member, Slack sends it nothing at all: no mention, no message, no edit,
    # reaction, file or delete (the channel's people see it all the same).
    mentions.emulator.add_channel("CNOAPP", "acme-general", [mentions.erin, mentions.alice], bot_member=False)
    posted = people.post(mentions.erin, "CNOAPP", "@handoff are you here?")
    assert posted.ts is not None and not posted.delivered and posted.mention is None
    assert mentions.sent(lambda: people.edit(mentions.erin, "CNOAPP", posted.ts, "@handoff hello?")) == []
    assert mentions.sent(lambda: people.react(mentions.alice, "CNOAPP", posted.ts, "eyes")) == []
    assert mentions.sent(lambda: people.share_file(mentions.alice, "CNOAPP", "a.txt", b"hi")) == []
    assert mentions.sent(lambda: people.delete(mentions.erin, "CNOAPP", posted.ts)) == []
    assert [m["text"] for m in mentions.emulator.messages("CNOAPP")] == [""]  # Alice's file is there

    # The app's invited later (/invite @handoff): now it hears the channel, and its mentions there.
    mentions.emulator.add_channel("CNOAPP", "acme-general", [mentions.erin, mentions.alice])
    sent = mentions.sent(lambda: people.post(mentions.erin, "CNOAPP", "@handoff now?"))
    assert [e["event"]["type"] for e in sent] == ["message", "app_mention"]


def test_mentions_typed_on_the_page_and_edits(mentions: Mentions) -> None:
    model = PageModel(mentions.emulator, mentions.people, mentions.cast)
    request = {"kind": "message", "channel": mentions.shared, "text": "Hi @Handoff"}
    sent = mentions.sent(lambda: model.act(mentions.sam, request))
    assert [e["event"]["type"] for e in sent] == ["message", "app_mention"]
    shown = model.state_for(mentions.sam, mentions.sam)["shared"]["messages"][-1]
    assert shown["text"] == f"Hi <@{BOT}>" and shown["blocks"][0]["elements"][0]["elements"][1]["user_id"] == BOT

    # Slack sends an edited mention again: message_changed, then app_mention of the message with `edited`.
    ts = sent[0]["event"]["ts"]
    changed, again = mentions.sent(lambda: mentions.people.edit(mentions.sam, mentions.shared, ts, "@handoff hi <b>"))
    assert changed["event"]["subtype"] == "message_changed"
    assert changed["event"]["message"]["text"] == again["event"]["text"] == f"<@{BOT}> hi &lt;b&gt;"
    event = again["event"]
    assert (event["type"], event["ts"], event["user"], event["user_team"]) == (
        "app_mention",
        ts,
        mentions.sam,
        EXTERNAL_TEAM,
    )
    assert event["edited"]["user"] == mentions.sam and event["event_ts"] == changed["event"]["event_ts"] != ts

    # An edit that takes the mention out is a message_changed only.
    [changed] = mentions.sent(lambda: mentions.people.edit(mentions.sam, mentions.shared, ts, "never mind"))
    assert changed["event"]["subtype"] == "message_changed"


def test_typed_text_is_escaped_around_mentions() -> None:
    text, blocks = typed_message("<!here> @handoff & @HANDOFF", BOT)
    assert text == f"&lt;!here&gt; <@{BOT}> &amp; <@{BOT}>"
    assert blocks[0]["elements"][0]["elements"] == [
        {"type": "text", "text": "<!here> "},
        {"type": "user", "user_id": BOT},
        {"type": "text", "text": " & "},
        {"type": "user", "user_id": BOT},
    ]
