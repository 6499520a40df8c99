"""Conversations by front door, through the app: a conversation from before migration 0009 carries
on in its DM, and a thread conversation's messages go into its thread beside the customer's DM.

The shared channels' listeners come later (issue 17): the thread conversation is started through
the core's API, as they will start it; everything after that runs through the signed edge and the
outbox to the emulated Slack.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.listeners.payloads import action_door
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2
from tests.storage.test_conversation_doors_migration import TICKET_TS, old_conversations
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    agent_reply,
    claim,
    dm,
    posted_to,
    wait_for_dm,
    wait_for_menu,
    wait_for_new_ticket,
)

SHARED = "CSHARED"  # a channel shared with the customer's organisation
ROOT = "1700000700.000100"  # the customer's message that started the thread


def workspaces(database_url: str) -> set[str]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(text("SELECT workspace_id FROM conversation"))}
    finally:
        engine.dispose()


def test_a_conversation_from_before_the_upgrade_carries_on_in_its_dm(fake_slack: FakeSlack, database_url: str) -> None:
    old_conversations(database_url, waiting=CUSTOMER, with_bot=CUSTOMER_2, support=SUPPORT_CHANNEL)
    app = AppUnderTest(settings_for(fake_slack, database_url)).start()  # migrates, records the workspace
    try:
        assert workspaces(database_url) == {fake_slack.team_id}
        dm(app, CUSTOMER, "hello? still there?")
        wait_for_dm(fake_slack, CUSTOMER, "#1")  # still waiting, first in the queue
        fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "hello? still there?", thread_ts=TICKET_TS))
        dm(app, CUSTOMER_2, "hi")
        wait_for_menu(fake_slack, CUSTOMER_2)
        assert len(app.helpdesk.queue().entries) == 1  # no new conversation, no new ticket
    finally:
        app.stop()


def test_a_thread_conversation_is_answered_in_its_thread_beside_the_customers_dm(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.set_members(SHARED, [CUSTOMER, AGENT])
    assert app.app is not None
    app.app.services.channels.turn_on(SHARED, "UADMIN")  # the outbox speaks only in served channels' threads
    before = len(fake_slack.calls("chat.postMessage", channel=SUPPORT_CHANNEL))
    in_thread = Customer(CUSTOMER, FrontDoor(SHARED, ROOT), fake_slack.team_id)
    outcome = app.helpdesk.receive_customer_message(in_thread, ROOT, "I need a human please")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.ticket_id is not None
    assert app.app is not None
    app.app.services.effects.after_customer_message(outcome)  # what the edge's lazy phase does
    fake_slack.wait_for("chat.postMessage", posted_to(SHARED, "#1", thread_ts=ROOT))
    ticket = wait_for_new_ticket(fake_slack, before)
    assert ticket.ticket_id == outcome.ticket_id

    # Her DM is a conversation of its own, with the bot, at the top level of the DM.
    dm(app, CUSTOMER, "hi")
    menu = wait_for_menu(fake_slack, CUSTOMER)
    assert menu.params.get("thread_ts") is None

    claim(app, fake_slack, AGENT, ticket)
    fake_slack.wait_for("chat.postMessage", posted_to(SHARED, "You are now talking with", thread_ts=ROOT))
    agent_reply(app, AGENT, ticket, "Hello from support")
    [relayed] = fake_slack.wait_for("chat.postMessage", posted_to(SHARED, "Hello from support"))
    assert relayed.params.get("thread_ts") == ROOT
    # Nothing at the channel's top level; nothing of the thread's in her DM.
    assert [c for c in fake_slack.calls("chat.postMessage", channel=SHARED) if not c.params.get("thread_ts")] == []
    assert not fake_slack.calls("chat.postMessage", channel=f"D{CUSTOMER}", text="Hello from support")


@pytest.mark.parametrize(
    ("body", "door"),
    [
        ({"channel": {"id": "DJANE"}, "container": {"message_ts": "1.1"}}, FrontDoor("DJANE")),
        # A thread inside a DM is still the DM.
        ({"channel": {"id": "DJANE"}, "container": {"message_ts": "1.2", "thread_ts": "1.1"}}, FrontDoor("DJANE")),
        ({"container": {"channel_id": SHARED, "message_ts": "1.2", "thread_ts": ROOT}}, FrontDoor(SHARED, ROOT)),
        ({"channel": {"id": SHARED}, "message": {"ts": "1.2", "thread_ts": ROOT}}, FrontDoor(SHARED, ROOT)),
        ({"channel": {"id": SHARED}, "container": {"message_ts": "1.2"}}, None),  # a channel's top level
        ({"container": {"message_ts": "1.2", "thread_ts": ROOT}}, None),  # no channel
    ],
)
def test_a_button_is_pressed_at_the_door_of_the_message_it_is_on(body: dict[str, Any], door: FrontDoor | None) -> None:
    assert action_door(body) == door
