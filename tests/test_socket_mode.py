"""Socket Mode: the app served over a websocket, through the same checks as its HTTP edge.

The fake Slack answers apps.connections.open with the URL of a fake Socket Mode endpoint
(tests/support/fake_socket_mode.py) that sends envelopes and records the app's acks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from handoff_slack.app import HandoffApp, create_app
from handoff_slack.blocks.action_ids import TALK_TO_AGENT
from handoff_slack.server import build_socket_mode_door
from handoff_slack.settings import Settings
from handoff_slack.socket_mode import SocketModeDoor
from tests.conftest import CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import FakeSocketMode, event_callback
from tests.support.journeys import stored_messages, stored_tickets, wait_for_menu
from tests.support.migrated_template import from_migrated_template
from tests.support.slack_requests import dm_message
from tests.support.waiting import wait_until

GUARD_LOGGER = "handoff_slack.request_guard"


class SocketModeApp:
    """The real app, connected in Socket Mode (what `python main.py` does with SLACK_APP_TOKEN)."""

    def __init__(self, settings: Settings) -> None:
        from_migrated_template(settings.database_url)
        self.app: HandoffApp = create_app(settings)
        self.door: SocketModeDoor = build_socket_mode_door(self.app)

    def start(self) -> SocketModeApp:
        self.door.connect()
        self.app.start_background_work()
        return self

    def stop(self) -> None:
        self.door.close()
        self.app.close()


@pytest.fixture
def socket() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as endpoint:
        yield endpoint


@pytest.fixture
def socket_app(fake_slack: FakeSlack, socket: FakeSocketMode, sqlite_url: str) -> Iterator[SocketModeApp]:
    with serving(fake_slack, socket, sqlite_url) as running:
        yield running


@contextmanager
def serving(fake_slack: FakeSlack, socket: FakeSocketMode, database_url: str, **env: str) -> Iterator[SocketModeApp]:
    fake_slack.socket_mode_url = socket.url
    settings = settings_for(fake_slack, database_url, SLACK_APP_TOKEN=fake_slack.app_token, **env)
    running = SocketModeApp(settings).start()
    try:
        socket.wait_connected()
        yield running
    finally:
        fake_slack.release()  # a held post would keep the app's shutdown waiting
        running.stop()


def click_talk_to_agent(user: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0HOME"},
        "api_app_id": "A0APP",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": f"D{user}", "is_ephemeral": False},
        "trigger_id": "trig",
        "team": {"id": "T0HOME", "domain": "t0home"},
        "channel": {"id": f"D{user}", "name": "directmessage"},
        "message": {"ts": "1.0", "text": ""},
        "state": {"values": {}},
        "response_url": None,
        "actions": [
            {"action_id": TALK_TO_AGENT, "block_id": "b", "value": "menu", "type": "button", "action_ts": "1.0"}
        ],
    }


def test_an_ordinary_dm_over_socket_mode_is_acked_and_answered(
    socket_app: SocketModeApp, socket: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    message = dm_message(CUSTOMER, "hello")
    envelope = socket.send(event_callback(message))

    assert socket.wait_for_ack(envelope) == {"envelope_id": envelope}
    wait_for_menu(fake_slack, CUSTOMER)
    assert [m.text for m in stored_messages(socket_app)] == ["hello"]  # type: ignore[arg-type]


WRONG_SHAPES: dict[str, dict[str, Any]] = {
    "event-not-an-object": {"type": "event_callback", "event": "not an object"},
    "ts-not-a-string": event_callback({**dm_message(CUSTOMER, "hi"), "ts": 12}),
    "user-id-not-a-string": event_callback({**dm_message(CUSTOMER, "hi"), "user": {"id": ["U"]}}),
    "no-actions": {"type": "block_actions", "user": {"id": CUSTOMER}, "actions": []},
    "legacy-type": {"type": "interactive_message", "callback_id": "x"},  # legacy: never sent to this app
}


def test_a_payload_of_the_wrong_shape_is_acked_and_dropped_and_the_app_carries_on(
    socket_app: SocketModeApp, socket: FakeSocketMode, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handoff_slack.socket_mode")
    # One app for all the shapes, each followed by an ordinary DM (closing a Socket Mode app waits out
    # slack_sdk's 3 s receive timeout, so an app per shape cost 3 s each).
    for number, (shape, payload) in enumerate(WRONG_SHAPES.items(), start=1):
        caplog.clear()
        kind = "interactive" if payload.get("type") != "event_callback" else "events_api"
        refused = socket.send(payload, kind)

        # Acknowledged (Slack would only send it again), with no answer, and nothing of it kept.
        assert socket.wait_for_ack(refused) == {"envelope_id": refused}, shape
        assert "was refused (400)" in caplog.text, shape
        assert [m.text for m in stored_messages(socket_app)] == ["hello"] * (number - 1), shape  # type: ignore[arg-type]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], shape

        # The app is unharmed: the next ordinary DM is handled.
        ordinary = socket.send(event_callback(dm_message(CUSTOMER_2, "hello")))
        socket.wait_for_ack(ordinary)
        wait_for_menu(fake_slack, CUSTOMER_2, count=number)
        assert fake_slack.calls("chat.postMessage", channel=f"D{CUSTOMER}") == [], shape


def test_with_the_backlog_full_a_click_is_not_acked_so_slack_sends_it_again(
    fake_slack: FakeSlack, socket: FakeSocketMode, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=GUARD_LOGGER)
    with serving(fake_slack, socket, sqlite_url, HANDOFF_MAX_BACKLOG="1") as running:
        # The greeting's post is held at Slack: its lazy task keeps the backlog of one full.
        fake_slack.hold("chat.postMessage")
        socket.wait_for_ack(socket.send(event_callback(dm_message(CUSTOMER, "hello"))))
        wait_until(lambda: fake_slack.held("chat.postMessage") == 1, message="the greeting to wait on Slack")
        assert running.app.executor.backlog == 1

        click = socket.send(click_talk_to_agent(CUSTOMER), "interactive")
        wait_until(lambda: "reached HANDOFF_MAX_BACKLOG" in caplog.text, message="the click to be refused")
        assert socket.ack(click) is None  # not acked: Slack delivers it again
        assert stored_tickets(running) == []  # type: ignore[arg-type]

        # Slack's messages are still acked and kept below twice the backlog.
        second = dm_message(CUSTOMER, "are you there?")
        socket.wait_for_ack(socket.send(event_callback(second)))
        assert [m.text for m in stored_messages(running)] == ["hello", second["text"]]  # type: ignore[arg-type]

        fake_slack.release("chat.postMessage")
        wait_until(lambda: running.app.executor.backlog == 0, message="the backlog to drain")
        redelivered = socket.send(click_talk_to_agent(CUSTOMER), "interactive", envelope_id=click, retry_attempt=1)
        assert socket.wait_for_ack(redelivered) == {"envelope_id": click}
        wait_until(lambda: len(stored_tickets(running)) == 1, message="the redelivered click to open a ticket")  # type: ignore[arg-type]
