"""The sandbox's Slack Connect customer and shared channel, as Slack shows them: the cast (customer 2
of Acme Corp and their colleague, #acme-support shared with it), and what people do there reaching the app in Slack
Connect's shapes (``user_team``/``source_team``, ``is_ext_shared_channel``, ``authorizations``,
``thread_ts``/``parent_user_id``, ``reaction_added``), checked where the app would receive it: a
signed-request recorder stands in for ``/slack/events``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.personas import EXTERNAL_TEAM, Personas, seed
from handoff_slack.sandbox.web.page_model import PageModel
from handoff_slack.sandbox.workspace import NotAllowed, Workspace
from tests.sandbox.recorder import SECRET, Recorder

HOME = "T0HOME"


class Connect:
    def __init__(self, emulator: SlackEmulator, recorder: Recorder, cast: Personas) -> None:
        self.emulator, self.recorder, self.cast = emulator, recorder, cast
        self.people = Workspace(emulator, recorder.url + "/slack/events", SECRET)
        self.web = WebClient(token=emulator.bot_token, base_url=emulator.api_url, timeout=5)
        self.shared = cast.shared_channel
        self.erin = cast.customer_2.user_id
        self.sam = cast.colleague_2.user_id  # Erin's colleague at Acme Corp
        self.alice = cast.agent_1.user_id

    def last_event(self) -> dict[str, Any]:
        """The envelope of the last event sent (each action waits for the app's answer)."""
        assert self.recorder.rejected == 0
        return self.recorder.events[-1]


@pytest.fixture
def connect() -> Iterator[Connect]:
    emulator = SlackEmulator().start()
    recorder = Recorder()
    try:
        yield Connect(emulator, recorder, seed(emulator))
    finally:
        recorder.stop()
        emulator.stop()


def test_customer_2_is_of_another_organisation_in_a_channel_shared_with_it(connect: Connect) -> None:
    web = connect.web
    erin = web.users_info(user=connect.erin)["user"]
    assert erin["team_id"] == erin["profile"]["team"] == EXTERNAL_TEAM
    assert web.team_info(team=EXTERNAL_TEAM)["team"]["name"] == "Acme Corp"
    assert web.team_info()["team"]["id"] == HOME
    channel = web.conversations_info(channel=connect.shared)["channel"]
    assert (channel["name"], channel["is_ext_shared"], channel["is_member"]) == ("acme-support", True, True)
    members = web.conversations_members(channel=connect.shared)["members"]
    assert {connect.erin, connect.sam, connect.alice, connect.cast.admin.user_id, "UBOT"} <= set(members)
    assert connect.cast.customer_1.user_id not in members  # the home team's customer is not in it
    assert web.conversations_info(channel=connect.cast.support_channel)["channel"]["is_ext_shared"] is False


def test_messages_in_the_shared_channel_are_sent_as_slack_connect_sends_them(connect: Connect) -> None:
    people, shared = connect.people, connect.shared
    root = people.post(connect.erin, shared, "Our invoices page fails")
    envelope = connect.last_event()
    assert envelope["team_id"] == HOME and envelope["is_ext_shared_channel"] is True
    assert envelope["authorizations"] == [
        {"enterprise_id": None, "team_id": HOME, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
    ]
    event = envelope["event"]
    assert (event["type"], event["channel"], event["channel_type"], event["user"]) == (
        "message",
        shared,
        "channel",
        connect.erin,
    )
    assert event["team"] == event["user_team"] == event["source_team"] == EXTERNAL_TEAM
    assert event["ts"] == event["event_ts"] == root.ts and "thread_ts" not in event
    assert event["text"] == "Our invoices page fails" and event["blocks"][0]["type"] == "rich_text"

    # The bot answers in the message's thread; the customer replies there.
    connect.web.chat_postMessage(channel=shared, thread_ts=root.ts, text="How can I help?")
    people.post(connect.erin, shared, "It says error 500", thread_ts=root.ts)
    reply = connect.last_event()["event"]
    assert (reply["thread_ts"], reply["parent_user_id"], reply["user_team"]) == (root.ts, connect.erin, EXTERNAL_TEAM)

    # An internal person in the shared channel: their own (home) team, still Slack Connect's fields.
    people.post(connect.alice, shared, "I'll look", thread_ts=root.ts)
    internal = connect.last_event()
    assert internal["is_ext_shared_channel"] is True
    assert internal["event"]["user_team"] == internal["event"]["source_team"] == HOME

    # Customer 2's DM with the app (a Slack Connect DM): their team says who they are.
    people.post(connect.erin, people.dm(connect.erin), "hello")
    dm = connect.last_event()["event"]
    assert (dm["channel_type"], dm["user_team"], dm["source_team"]) == ("im", EXTERNAL_TEAM, EXTERNAL_TEAM)

    # A home-team customer's DM carries no Slack Connect field.
    jane = connect.cast.customer_1.user_id
    people.post(jane, people.dm(jane), "hi")
    assert "user_team" not in connect.last_event()["event"]


def test_a_reaction_reaches_the_app_as_reaction_added_and_removed(connect: Connect) -> None:
    people, shared = connect.people, connect.shared
    asked = people.post(connect.erin, shared, "Can someone look at order 42?")
    reacted = people.react(connect.alice, shared, asked.ts or "", ":ticket:")
    assert reacted.accepted
    envelope = connect.last_event()
    assert envelope["is_ext_shared_channel"] is True and envelope["team_id"] == HOME
    event = envelope["event"]
    assert {k: v for k, v in event.items() if k != "event_ts"} == {
        "type": "reaction_added",
        "user": connect.alice,
        "reaction": "ticket",
        "item_user": connect.erin,
        "item": {"type": "message", "channel": shared, "ts": asked.ts},
    }
    assert float(event["event_ts"]) >= float(asked.ts or "0")
    stored = connect.emulator.find_message(shared, asked.ts or "")
    assert stored is not None and stored["reactions"] == [{"name": "ticket", "users": [connect.alice], "count": 1}]

    people.react(connect.alice, shared, asked.ts or "", "ticket", add=False)
    removed = connect.last_event()["event"]
    assert (removed["type"], removed["reaction"], removed["item"]["ts"]) == ("reaction_removed", "ticket", asked.ts)
    assert "reactions" not in (connect.emulator.find_message(shared, asked.ts or "") or {})

    # Slack refuses what a person cannot do; nothing reaches the app.
    sent = len(connect.recorder.events)
    with pytest.raises(NotAllowed):
        people.react(connect.cast.customer_1.user_id, shared, asked.ts or "", "eyes")  # not in the channel
    people.react(connect.alice, shared, asked.ts or "", "eyes")
    with pytest.raises(NotAllowed):
        people.react(connect.alice, shared, asked.ts or "", "eyes")  # already_reacted
    assert len(connect.recorder.events) == sent + 1


def test_a_button_in_a_thread_of_the_shared_channel_says_its_thread(connect: Connect) -> None:
    root = connect.people.post(connect.erin, connect.shared, "help")
    button = {"type": "button", "action_id": "talk_to_agent", "text": {"type": "plain_text", "text": "Talk"}}
    menu = connect.web.chat_postMessage(
        channel=connect.shared,
        thread_ts=root.ts,
        text="menu",
        blocks=[{"type": "actions", "block_id": "menu", "elements": [{**button, "value": "menu"}]}],
    )
    clicked = connect.people.click(connect.erin, connect.shared, menu["ts"], "talk_to_agent")
    assert clicked.accepted
    [payload] = connect.recorder.of_type("block_actions")
    assert payload["container"] == {
        "type": "message",
        "message_ts": menu["ts"],
        "channel_id": connect.shared,
        "is_ephemeral": False,
        "thread_ts": root.ts,
    }
    assert payload["message"]["thread_ts"] == root.ts
    assert payload["user"]["team_id"] == EXTERNAL_TEAM and payload["channel"]["id"] == connect.shared


def test_the_page_shows_the_shared_channel_and_people_react_from_it(connect: Connect) -> None:
    model = PageModel(connect.emulator, connect.people, connect.cast)
    asked = connect.people.post(connect.erin, connect.shared, "Hello from Acme")
    state = model.state_for(connect.erin, connect.erin)
    shared = state["shared"]
    assert (shared["channel"], shared["name"], shared["is_ext_shared"]) == (connect.shared, "acme-support", True)
    assert shared["teams"] == ["Home Co", "Acme Corp"] and connect.erin in shared["members"]
    assert [m["text"] for m in shared["messages"]] == ["Hello from Acme"]
    assert state["channels"][connect.shared] == "acme-support"
    assert state["users"][connect.erin] == {"name": "Erin External", "team_name": "Acme Corp", "external": True}

    answer = model.act(connect.alice, {"kind": "react", "channel": connect.shared, "ts": asked.ts, "name": "ticket"})
    assert answer["ok"] and connect.last_event()["event"]["type"] == "reaction_added"
    reactions = model.state_for(connect.alice, connect.erin)["shared"]["messages"][0]["reactions"]
    assert reactions == [{"name": "ticket", "users": [connect.alice], "count": 1}]
    for bad in ({"name": "<b>"}, {"name": ""}, {"name": "ticket", "add": "yes"}, {"ts": "1.0"}):
        refused = model.act(connect.alice, {"kind": "react", "channel": connect.shared, "ts": asked.ts} | bad)
        assert not refused["ok"], bad
    assert (
        model.act(
            connect.cast.customer_1.user_id,
            {"kind": "react", "channel": connect.shared, "ts": asked.ts, "name": "eyes"},
        )["ok"]
        is False
    )


def test_customer_2s_colleague_is_a_second_person_of_their_organisation(connect: Connect) -> None:
    sam = connect.web.users_info(user=connect.sam)["user"]
    assert (sam["id"], sam["real_name"], sam["team_id"], sam["profile"]["team"]) == (
        "UEXT2",
        "Sam Acme",
        EXTERNAL_TEAM,
        EXTERNAL_TEAM,
    )
    support = connect.web.conversations_members(channel=connect.cast.support_channel)["members"]
    assert connect.sam not in support  # customers never see the support channel

    model = PageModel(connect.emulator, connect.people, connect.cast)
    state = model.state_for(connect.sam, connect.sam)
    [persona] = [p for p in state["personas"] if p["id"] == connect.sam]
    assert persona == {
        "id": "UEXT2",
        "label": "Customer 2's colleague",
        "name": "Sam Acme",
        "role": "customer",
        "team_name": "Acme Corp",
        "external": True,
    }
    assert state["me"] == state["dm"]["customer"] == connect.sam and state["dm"]["channel"] == "DUEXT2"
    assert connect.sam in state["shared"]["members"] and state["shared"]["teams"] == ["Home Co", "Acme Corp"]
    assert connect.sam not in state["support"]["members"]


def test_two_people_of_one_organisation_in_the_shared_channel_at_once(connect: Connect) -> None:
    """Erin and her colleague Sam each ask at the top level, then Sam joins Erin's thread: every event
    carries Acme Corp as the author's team, and Sam's reply says whose thread it is in."""
    people, shared = connect.people, connect.shared
    erin_asks = people.post(connect.erin, shared, "Invoices fail")
    sam_asks = people.post(connect.sam, shared, "And exports are slow")
    first, second = connect.recorder.events[-2:]
    assert (first["event"]["user"], second["event"]["user"]) == (connect.erin, connect.sam)
    assert first["event"]["ts"] == erin_asks.ts and second["event"]["ts"] == sam_asks.ts != erin_asks.ts
    assert "thread_ts" not in second["event"] and first["event_id"] != second["event_id"]

    people.post(connect.sam, shared, "Same here since 9", thread_ts=erin_asks.ts)
    envelope = connect.last_event()
    assert envelope["team_id"] == HOME and envelope["is_ext_shared_channel"] is True
    assert envelope["authorizations"][0]["team_id"] == HOME and envelope["authorizations"][0]["user_id"] == "UBOT"
    joined = envelope["event"]
    assert (joined["user"], joined["thread_ts"], joined["parent_user_id"]) == (connect.sam, erin_asks.ts, connect.erin)
    assert joined["team"] == joined["user_team"] == joined["source_team"] == EXTERNAL_TEAM
    assert joined["channel"] == shared and joined["channel_type"] == "channel"

    # Sam presses a button the bot posted in Erin's thread: the click is Sam's, from Acme Corp, in that thread.
    button = {"type": "button", "action_id": "talk_to_agent", "text": {"type": "plain_text", "text": "Talk"}}
    menu = connect.web.chat_postMessage(
        channel=shared, thread_ts=erin_asks.ts, text="menu", blocks=[{"type": "actions", "elements": [button]}]
    )
    assert connect.people.click(connect.sam, shared, menu["ts"], "talk_to_agent").accepted
    [payload] = connect.recorder.of_type("block_actions")
    assert (payload["user"]["id"], payload["user"]["team_id"]) == (connect.sam, EXTERNAL_TEAM)
    assert payload["container"]["thread_ts"] == erin_asks.ts and payload["channel"]["id"] == shared

    # Sam's own DM with the app is a Slack Connect DM too.
    people.post(connect.sam, people.dm(connect.sam), "hi")
    dm = connect.last_event()["event"]
    assert (dm["channel"], dm["channel_type"], dm["user_team"]) == ("DUEXT2", "im", EXTERNAL_TEAM)
