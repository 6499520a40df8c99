"""The hand-off state machine on a real database (SQLite file and PostgreSQL), no Slack."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from handoff_slack.core.bot import BotEngine, ButtonAction, Pressed
from handoff_slack.core.bot_config import BotConfig, TriageConfig, TriageMode, TriageQuestion, Validation
from handoff_slack.core.deliveries import Delivery
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import (
    AgentMessageAction,
    CancelResult,
    ClaimResult,
    CloseResult,
    Customer,
    CustomerMessageAction,
    CustomerMessageOutcome,
)
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason, TicketState
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.models import Conversation, Message, Ticket
from tests.support.migrated_template import from_migrated_template

SUPPORT = "CSUPPORT"
JANE = Customer(user_id="UJANE", door=FrontDoor("DJANE"), team_id="T1")
OMAR = Customer(user_id="UOMAR", door=FrontDoor("DOMAR"), team_id="T1")


def pending(desk: SqlHelpdesk, conversation_id: int | None) -> list[Delivery]:
    """A conversation's undelivered messages, as the outbox reads them."""
    assert conversation_id is not None
    return desk.deliveries.pending_work(conversation_id)[0]


def conversation_of(desk: SqlHelpdesk, ticket_id: int) -> Conversation:
    """The ticket's conversation row (the mode the customer is in)."""
    ticket = desk.ticket(ticket_id)
    assert ticket is not None
    with desk.db.transaction() as session:
        found = session.get(Conversation, ticket.conversation_id)
    assert found is not None
    return found


def position(desk: SqlHelpdesk, ticket_id: int) -> int | None:
    """The ticket's place in the queue as `/handoff-queue` shows it; None unless waiting."""
    return {entry.ticket.id: entry.position for entry in desk.queue(limit=1000).entries}.get(ticket_id)


def relays(pending: list[Delivery]) -> list[Delivery]:
    """The relayed messages among pending deliveries (the bot's own notices are tested on their own)."""
    return [delivery for delivery in pending if delivery.notice is None]


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)  # strictly increasing, like real time
        return self.now


@pytest.fixture
def desk(database_url: str) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url)
    yield SqlHelpdesk(db, note_prefix="note:", clock=FakeClock())
    db.dispose()


_ts = iter(range(1, 10_000))


def ts() -> str:
    return f"1700000000.{next(_ts):06d}"


def escalate(desk: SqlHelpdesk, customer: Customer = JANE) -> int:
    outcome = desk.receive_customer_message(customer, ts(), "I want a human")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.ticket_id is not None
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT, ts())
    return outcome.ticket_id


def thread_of(desk: SqlHelpdesk, ticket_id: int) -> str:
    found = desk.ticket(ticket_id)
    assert found is not None and found.message_ts is not None
    return found.message_ts


def test_plain_message_in_bot_mode_is_kept_but_not_relayed(desk: SqlHelpdesk) -> None:
    outcome = desk.receive_customer_message(JANE, ts(), "where is my order?")
    assert outcome.action is CustomerMessageAction.BOT_REPLY
    with desk.db.transaction() as session:
        [message] = session.exec(
            select(Message).where(
                Message.conversation_id == outcome.conversation_id, Message.direction == Direction.FROM_CUSTOMER
            )
        ).all()
    assert message.text == "where is my order?"
    assert message.delivery_state == DeliveryState.NOT_RELAYED


def test_asking_for_a_person_opens_a_waiting_ticket_with_its_position(desk: SqlHelpdesk) -> None:
    first = desk.receive_customer_message(JANE, ts(), "can I talk to a real person")
    second = desk.receive_customer_message(OMAR, ts(), "agent!")
    assert (first.action, first.position) == (CustomerMessageAction.ESCALATED, 1)
    assert (second.action, second.position) == (CustomerMessageAction.ESCALATED, 2)
    assert first.ticket_id is not None
    ticket, conversation = desk.ticket(first.ticket_id), conversation_of(desk, first.ticket_id)
    assert ticket is not None
    assert ticket.state == TicketState.WAITING and ticket.reason == EscalationReason.ASKED_FOR_HUMAN
    assert conversation.mode == ConversationMode.WAITING and conversation.active_ticket_id == ticket.id


def test_the_same_event_or_message_is_processed_once(desk: SqlHelpdesk) -> None:
    stamp = ts()
    assert desk.receive_customer_message(JANE, stamp, "hi", event_id="Ev1").action is CustomerMessageAction.BOT_REPLY
    assert desk.receive_customer_message(JANE, stamp, "hi", event_id="Ev1").action is CustomerMessageAction.DUPLICATE
    # A redelivery under another event ID is still the same Slack message.
    assert desk.receive_customer_message(JANE, stamp, "hi", event_id="Ev2").action is CustomerMessageAction.DUPLICATE


def test_escalating_twice_keeps_one_ticket(desk: SqlHelpdesk) -> None:
    # The "Talk to an agent" button, as its listener passes it on.
    first = desk.receive_customer_input(JANE, Pressed(ButtonAction.TALK_TO_AGENT, EscalationReason.MENU.value))
    again = desk.receive_customer_input(JANE, Pressed(ButtonAction.TALK_TO_AGENT, EscalationReason.MENU.value))
    assert first.created and not again.created
    assert again.ticket_id == first.ticket_id and again.position == 1
    assert desk.queue().total == 1


def test_messages_while_waiting_are_kept_for_the_ticket_thread(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    outcome = desk.receive_customer_message(JANE, ts(), "it's urgent")
    assert (outcome.action, outcome.position) == (CustomerMessageAction.WAITING, 1)
    [delivery] = relays(pending(desk, outcome.conversation_id))
    assert delivery.text == "it's urgent"
    assert (delivery.channel_id, delivery.thread_ts) == (SUPPORT, thread_of(desk, ticket_id))


def test_waiting_messages_wait_for_the_ticket_message_before_delivery(desk: SqlHelpdesk) -> None:
    outcome = desk.receive_customer_message(JANE, ts(), "human please")
    follow_up = desk.receive_customer_message(JANE, ts(), "hello?")
    assert relays(pending(desk, follow_up.conversation_id)) == []
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT, ts())
    assert [d.text for d in relays(pending(desk, follow_up.conversation_id))] == ["hello?"]


@pytest.mark.parametrize("text", ["never mind", "Nevermind!", "cancel", "cancel please"])
def test_never_mind_leaves_the_queue(desk: SqlHelpdesk, text: str) -> None:
    ticket_id = escalate(desk)
    outcome = desk.receive_customer_message(JANE, ts(), text)
    assert outcome.action is CustomerMessageAction.CANCELLED and outcome.ticket_id == ticket_id
    ticket, conversation = desk.ticket(ticket_id), conversation_of(desk, ticket_id)
    assert ticket is not None
    assert ticket.state == TicketState.CANCELLED and conversation.mode == ConversationMode.BOT
    assert desk.receive_customer_message(JANE, ts(), "hi").action is CustomerMessageAction.BOT_REPLY


def test_cancelling_an_order_is_not_leaving_the_queue(desk: SqlHelpdesk) -> None:
    escalate(desk)
    outcome = desk.receive_customer_message(JANE, ts(), "I want to cancel my order")
    assert outcome.action is CustomerMessageAction.WAITING


def test_cancel_button_only_works_for_the_tickets_own_customer(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    assert desk.cancel_waiting(OMAR.user_id, ticket_id) is CancelResult.NOT_YOURS
    assert desk.cancel_waiting(JANE.user_id, ticket_id) is CancelResult.CANCELLED
    assert desk.cancel_waiting(JANE.user_id, ticket_id) is CancelResult.NOT_WAITING


def test_queue_positions_move_up_when_someone_leaves(desk: SqlHelpdesk) -> None:
    jane = escalate(desk, JANE)
    omar = escalate(desk, OMAR)
    assert (position(desk, jane), position(desk, omar)) == (1, 2)
    desk.cancel_waiting(JANE.user_id, jane)
    assert (position(desk, jane), position(desk, omar)) == (None, 1)
    snapshot = desk.queue()
    assert snapshot.total == 1 and [e.ticket.id for e in snapshot.entries] == [omar]


def test_claim_connects_the_customer_and_a_second_claim_loses(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    won = desk.claim(ticket_id, "UALICE", "Alice")
    lost = desk.claim(ticket_id, "UBOB", "Bob")
    assert won.result is ClaimResult.CLAIMED and conversation_of(desk, ticket_id).mode == ConversationMode.CONNECTED
    assert lost.result is ClaimResult.ALREADY_CLAIMED and lost.ticket is not None
    assert lost.ticket.agent_user_id == "UALICE"
    assert desk.claim(999_999, "UBOB").result is ClaimResult.NOT_FOUND


def test_a_cancelled_ticket_cannot_be_claimed(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    desk.cancel_waiting(JANE.user_id, ticket_id)
    assert desk.claim(ticket_id, "UALICE").result is ClaimResult.NOT_WAITING


def test_concurrent_claims_have_exactly_one_winner(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    agents = [f"UAGENT{i}" for i in range(20)]
    barrier = threading.Barrier(len(agents))
    results: dict[str, ClaimResult] = {}

    def claim(agent: str) -> None:
        barrier.wait()
        results[agent] = desk.claim(ticket_id, agent).result

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [agent for agent, result in results.items() if result is ClaimResult.CLAIMED]
    assert len(results) == 20 and len(winners) == 1
    found = desk.ticket(ticket_id)
    assert found is not None and found.agent_user_id == winners[0]


def test_owner_replies_are_relayed_and_everything_else_stays_internal(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    thread = thread_of(desk, ticket_id)
    before_claim = desk.receive_agent_message(SUPPORT, thread, "UALICE", ts(), "looking")
    desk.claim(ticket_id, "UALICE", "Alice")
    relayed = desk.receive_agent_message(SUPPORT, thread, "UALICE", ts(), "Hi Jane!")
    other_agent = desk.receive_agent_message(SUPPORT, thread, "UBOB", ts(), "need help?")
    note = desk.receive_agent_message(SUPPORT, thread, "UALICE", ts(), "  NOTE: she is a VIP")
    elsewhere = desk.receive_agent_message(SUPPORT, "9999.0001", "UALICE", ts(), "unrelated thread")
    assert before_claim.action is AgentMessageAction.INTERNAL
    assert relayed.action is AgentMessageAction.RELAY
    assert other_agent.action is AgentMessageAction.INTERNAL
    assert note.action is AgentMessageAction.INTERNAL
    assert elsewhere.action is AgentMessageAction.IGNORED
    [delivery] = relays(pending(desk, relayed.conversation_id))
    assert (delivery.direction, delivery.channel_id, delivery.thread_ts) == (Direction.FROM_AGENT, "DJANE", None)
    assert delivery.sender_name == "Alice"


def test_deliveries_come_oldest_first_and_leave_the_outbox_once_delivered(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    desk.claim(ticket_id, "UALICE", "Alice")
    conversation_id = conversation_of(desk, ticket_id).id
    for text in ("one", "two", "three"):
        desk.receive_customer_message(JANE, ts(), text)
    outbox = relays(pending(desk, conversation_id))
    assert [d.text for d in outbox] == ["one", "two", "three"]
    desk.deliveries.begin_attempt(outbox[0].message_id)
    desk.deliveries.attempt_failed(outbox[0].message_id, "ratelimited")
    desk.deliveries.begin_attempt(outbox[0].message_id)
    desk.deliveries.delivered(outbox[0].message_id, SUPPORT, ["1.1"], "one")
    assert [d.text for d in relays(pending(desk, conversation_id))] == ["two", "three"]
    assert desk.deliveries.conversations_with_work() == [conversation_id]
    with desk.db.transaction() as session:
        delivered = session.get(Message, outbox[0].message_id)
        assert delivered is not None
        assert (delivered.delivery_state, delivered.attempts, delivered.dest_ts) == ("delivered", 2, "1.1")


def test_close_is_for_the_owner_or_an_admin(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    desk.claim(ticket_id, "UALICE", "Alice")
    assert desk.close(ticket_id, "UBOB", is_admin=False).result is CloseResult.NOT_ALLOWED
    closed = desk.close(ticket_id, "UALICE", is_admin=False)
    assert closed.result is CloseResult.CLOSED and conversation_of(desk, ticket_id).mode == ConversationMode.BOT
    assert closed.ticket is not None and closed.ticket.closed_at is not None
    assert desk.close(ticket_id, "UALICE", is_admin=False).result is CloseResult.NOT_OPEN
    # After close the customer is back with the bot and the agent's replies stay internal.
    assert desk.receive_customer_message(JANE, ts(), "thanks").action is CustomerMessageAction.BOT_REPLY
    late = desk.receive_agent_message(SUPPORT, thread_of(desk, ticket_id), "UALICE", ts(), "bye")
    assert late.action is AgentMessageAction.INTERNAL


def test_an_admin_can_close_someone_elses_ticket(desk: SqlHelpdesk) -> None:
    ticket_id = escalate(desk)
    desk.claim(ticket_id, "UALICE")
    assert desk.close(ticket_id, "UADMIN", is_admin=True).result is CloseResult.CLOSED


def test_a_new_escalation_after_close_opens_a_new_ticket(desk: SqlHelpdesk) -> None:
    first = escalate(desk)
    desk.claim(first, "UALICE")
    desk.close(first, "UALICE", is_admin=False)
    second = escalate(desk)
    assert second != first and position(desk, second) == 1


def test_transcript_holds_the_messages_up_to_the_escalation(desk: SqlHelpdesk) -> None:
    desk.receive_customer_message(JANE, ts(), "my printer is broken")
    ticket_id = escalate(desk)
    desk.receive_customer_message(JANE, ts(), "still there?")
    ticket = desk.ticket(ticket_id)
    assert ticket is not None
    assert [m.text for m in desk.transcript(ticket)] == ["my printer is broken", "I want a human"]


def test_a_later_tickets_transcript_starts_after_the_previous_ticket(desk: SqlHelpdesk) -> None:
    desk.receive_customer_message(JANE, ts(), "first problem")
    first = escalate(desk)
    desk.claim(first, "UALICE")
    desk.receive_customer_message(JANE, ts(), "talking to Alice")
    desk.close(first, "UALICE", is_admin=False)
    desk.receive_customer_message(JANE, ts(), "new problem")
    second = desk.ticket(escalate(desk))
    assert second is not None
    assert [m.text for m in desk.transcript(second)] == ["new problem", "I want a human"]
    assert [m.text for m in desk.transcript(second, limit=1)] == ["I want a human"]


def test_tickets_missing_their_message_are_found_for_repair(desk: SqlHelpdesk) -> None:
    outcome = desk.receive_customer_message(JANE, ts(), "human")
    later = datetime(2100, 1, 1, tzinfo=UTC)
    assert desk.tickets_missing_their_message(later) == [outcome.ticket_id]
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT, ts())
    assert desk.tickets_missing_their_message(later) == []


def test_a_redelivered_event_id_is_a_duplicate_even_with_a_different_message(desk: SqlHelpdesk) -> None:
    # The (channel, ts) check must not be what catches it: the event ID alone decides.
    first = desk.receive_customer_message(JANE, ts(), "hello", event_id="EvSame")
    again = desk.receive_customer_message(JANE, ts(), "hello again", event_id="EvSame")
    assert first.action is CustomerMessageAction.BOT_REPLY
    assert again.action is CustomerMessageAction.DUPLICATE


# -- flood control and the bot ---------------------------------------------------------------------


@pytest.fixture
def triage_desk(database_url: str) -> Iterator[tuple[SqlHelpdesk, FakeClock]]:
    """Triage before the hand-off (e-mail, then the problem); flooding from the third message a minute."""
    from_migrated_template(database_url)
    db = Database(database_url)
    clock = FakeClock()
    questions = (
        TriageQuestion("email", "E-mail", "Your e-mail?", validation=Validation.email()),
        TriageQuestion("problem", "Problem", "What's wrong?"),
    )
    bot = BotEngine(BotConfig(triage=TriageConfig(mode=TriageMode.BEFORE_HANDOFF, questions=questions)))
    yield SqlHelpdesk(db, responder=bot, clock=clock, flood_limit=2, flood_window=timedelta(minutes=1)), clock
    db.dispose()


def test_a_flooding_customer_mid_triage_still_answers_the_question_they_last_saw(
    triage_desk: tuple[SqlHelpdesk, FakeClock],
) -> None:
    desk, clock = triage_desk

    def say(text: str) -> CustomerMessageOutcome:
        return desk.receive_customer_message(JANE, ts(), text)

    assert say("agent").replies[-1].text == "Your e-mail?"
    assert say("jane@example.com").replies[-1].text == "What's wrong?"
    flood = [say("hello?"), say("anyone there?")]
    # Not answered (quiet), and not taken as the answer either: no hand-over with "hello?" as the problem.
    assert [(o.action, o.quiet, o.replies) for o in flood] == [(CustomerMessageAction.BOT_REPLY, True, ())] * 2
    assert [o.ask_to_slow_down for o in flood] == [True, False]

    clock.now += timedelta(minutes=2)  # the flood is over
    handed_over = say("The printer jams")
    assert handed_over.action is CustomerMessageAction.ESCALATED
    with desk.db.transaction() as session:
        ticket = session.get(Ticket, handed_over.ticket_id)
        assert ticket is not None and ticket.triage is not None
        assert {a["id"]: a["answer"] for a in ticket.triage} == {
            "email": "jane@example.com",
            "problem": "The printer jams",
        }
        kept = session.exec(select(Message).where(Message.conversation_id == handed_over.conversation_id)).all()
        assert [m.text for m in kept if m.text in ("hello?", "anyone there?")] == ["hello?", "anyone there?"]


def test_asking_for_a_person_while_flooding_mid_triage_still_hands_over(
    triage_desk: tuple[SqlHelpdesk, FakeClock],
) -> None:
    desk, _ = triage_desk
    for text in ("agent", "not sure", "hello?"):  # triage, a wrong e-mail, then over the rate
        desk.receive_customer_message(JANE, ts(), text)
    outcome = desk.receive_customer_message(JANE, ts(), "I want a human")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.quiet
