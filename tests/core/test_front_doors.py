"""Conversations by front door (core.front_doors): a DM and threads of a shared channel side by side.

The shared channels' listeners come later (issue 17); here the thread conversations are made
through the core's API, as those listeners will, on a real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handoff_slack.core.bot import ButtonAction, CustomerFacts, Pressed
from handoff_slack.core.deliveries import Delivery
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import AgentMessageAction, CancelResult, Customer, CustomerMessageAction
from handoff_slack.core.states import ConversationMode, Direction
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.core.test_helpdesk import FakeClock, conversation_of, pending, position, relays
from tests.support.migrated_template import from_migrated_template

SUPPORT = "CSUPPORT"
SHARED = "CSHARED"  # a channel shared with the customers' organisation
ROOT_1, ROOT_2 = "1700000500.000001", "1700000500.000002"  # two customer messages starting threads there
JANE_DM = Customer("UJANE", FrontDoor("DJANE"), "TACME")
JANE_IN_1 = Customer("UJANE", FrontDoor(SHARED, ROOT_1), "TACME")
JANE_IN_2 = Customer("UJANE", FrontDoor(SHARED, ROOT_2), "TACME")
OMAR_IN_2 = Customer("UOMAR", FrontDoor(SHARED, ROOT_2), "TACME")

_ts = iter(range(1, 10_000))


def ts() -> str:
    return f"1700000600.{next(_ts):06d}"


@pytest.fixture
def desk(database_url: str) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url)
    yield SqlHelpdesk(db, clock=FakeClock(), workspace_id="THOME")
    db.dispose()


def to_customer(deliveries: list[Delivery]) -> set[tuple[str, str | None]]:
    """Where the deliveries for the customer go: (channel, thread)."""
    return {(d.channel_id, d.thread_ts) for d in deliveries if not d.direction.to_thread}


def escalate(desk: SqlHelpdesk, customer: Customer) -> tuple[int, int, str]:
    """(conversation, ticket, the ticket message's ts in the support channel)."""
    outcome = desk.receive_customer_message(customer, ts(), "I want a human")
    assert outcome.action is CustomerMessageAction.ESCALATED
    assert outcome.conversation_id is not None and outcome.ticket_id is not None
    ticket_ts = ts()
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT, ticket_ts)
    return outcome.conversation_id, outcome.ticket_id, ticket_ts


def test_a_dm_and_threads_of_one_customer_are_separate_conversations_side_by_side(desk: SqlHelpdesk) -> None:
    dm, dm_ticket, _ = escalate(desk, JANE_DM)
    # Waiting in her DM, Jane asks the bot something in a thread of the shared channel: the bot
    # answers there (the DM's away-from-the-bot hint is the DM's only).
    chat = desk.receive_customer_message(JANE_IN_1, ts(), "where is my order?")
    assert chat.action is CustomerMessageAction.BOT_REPLY and chat.replies
    thread_1 = chat.conversation_id
    thread_2, thread_ticket, ticket_ts = escalate(desk, JANE_IN_2)
    assert len({dm, thread_1, thread_2}) == 3
    assert (position(desk, dm_ticket), position(desk, thread_ticket)) == (1, 2)
    # Each door's notices go to that door: the DM, or the thread (chat.postMessage with thread_ts).
    assert to_customer(pending(desk, dm)) == {("DJANE", None)}
    assert to_customer(pending(desk, thread_1)) == {(SHARED, ROOT_1)}
    assert to_customer(pending(desk, thread_2)) == {(SHARED, ROOT_2)}

    assert desk.receive_customer_message(JANE_DM, ts(), "hello?").action is CustomerMessageAction.WAITING
    desk.claim(thread_ticket, "UALICE", "Alice")
    reply = desk.receive_agent_message(SUPPORT, ticket_ts, "UALICE", ts(), "Hi Jane, on it")
    assert (reply.action, reply.conversation_id) == (AgentMessageAction.RELAY, thread_2)
    [relayed] = relays(pending(desk, thread_2))
    assert (relayed.text, relayed.channel_id, relayed.thread_ts) == ("Hi Jane, on it", SHARED, ROOT_2)
    answer = desk.receive_customer_message(JANE_IN_2, ts(), "thanks, it's order 42")
    assert (answer.action, answer.conversation_id) == (CustomerMessageAction.RELAY, thread_2)
    from_jane = [d for d in relays(pending(desk, thread_2)) if d.direction is Direction.FROM_CUSTOMER]
    assert [(d.channel_id, d.thread_ts) for d in from_jane] == [(SUPPORT, ticket_ts)]

    desk.close(thread_ticket, "UALICE", is_admin=False)
    assert conversation_of(desk, thread_ticket).mode == ConversationMode.BOT
    assert conversation_of(desk, dm_ticket).mode == ConversationMode.WAITING  # the DM's ticket is untouched
    assert position(desk, dm_ticket) == 1


def test_two_customers_in_separate_threads_of_one_channel(desk: SqlHelpdesk) -> None:
    jane, jane_ticket, jane_ts = escalate(desk, JANE_IN_1)
    omar, omar_ticket, omar_ts = escalate(desk, OMAR_IN_2)
    assert jane != omar and jane_ticket != omar_ticket
    ticket = desk.ticket(omar_ticket)
    assert ticket is not None and ticket.customer.user_id == "UOMAR"
    assert ticket.customer.door == FrontDoor(SHARED, ROOT_2)
    for ticket_id, thread in ((jane_ticket, jane_ts), (omar_ticket, omar_ts)):
        desk.claim(ticket_id, "UALICE", "Alice")
        desk.receive_agent_message(SUPPORT, thread, "UALICE", ts(), f"answer in {thread}")
    assert [(d.text, d.thread_ts) for d in relays(pending(desk, jane))] == [(f"answer in {jane_ts}", ROOT_1)]
    assert [(d.text, d.thread_ts) for d in relays(pending(desk, omar))] == [(f"answer in {omar_ts}", ROOT_2)]


def test_buttons_and_forms_act_on_the_door_they_were_pressed_at(desk: SqlHelpdesk) -> None:
    dm, dm_ticket, _ = escalate(desk, JANE_DM)
    # The menu pressed in her thread: the thread's conversation runs the bot; the DM stays waiting.
    pressed = desk.receive_customer_input(JANE_IN_1, Pressed(ButtonAction.MENU, ""))
    assert pressed.handled_by_bot and pressed.conversation_id != dm
    assert desk.triage_form(JANE_DM.door, CustomerFacts()) is None  # waiting: no form there
    assert desk.triage_form(JANE_IN_1.door, CustomerFacts()) is not None
    # Cancel shown in the DM, pressed at another door: not that door's ticket.
    assert desk.cancel_waiting("UJANE", dm_ticket, JANE_IN_1.door) is CancelResult.NOT_YOURS
    assert desk.cancel_waiting("UJANE", dm_ticket, JANE_DM.door) is CancelResult.CANCELLED


def test_one_door_is_one_conversation_per_workspace(database_url: str) -> None:
    from_migrated_template(database_url)
    db = Database(database_url)
    try:
        home, other = (SqlHelpdesk(db, clock=FakeClock(), workspace_id=team) for team in ("THOME", "TOTHER"))
        first = home.receive_customer_message(JANE_IN_1, ts(), "hi").conversation_id
        again = home.receive_customer_message(OMAR_IN_2, ts(), "hi").conversation_id
        assert home.receive_customer_message(JANE_IN_1, ts(), "me again").conversation_id == first
        assert again != first
        # The same channel and thread seen by another install is that install's conversation.
        assert other.receive_customer_message(JANE_IN_1, ts(), "hi").conversation_id not in (first, again)
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("door", "text"),
    [(FrontDoor("D1"), "D1"), (FrontDoor("C1", "1700000000.000100"), "C1 1700000000.000100")],
)
def test_a_door_as_text_and_back(door: FrontDoor, text: str) -> None:
    assert door.to_text() == text and FrontDoor.from_text(text) == door


@pytest.mark.parametrize("text", ["", " ", "C1 ", " 1.2", "C1 1.2 3.4", "C1  1.2"])
def test_text_that_is_no_door(text: str) -> None:
    assert FrontDoor.from_text(text) is None
