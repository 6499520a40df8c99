"""The delivery ledger on a real database: what to send, what was sent, edits and deletes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from handoff_slack.core.helpdesk import Customer, Helpdesk
from handoff_slack.core.states import DeliveryState, Direction
from handoff_slack.storage.database import Database, migrate
from handoff_slack.storage.models import Message
from tests.core.test_helpdesk import FakeClock

SUPPORT = "CSUPPORT"
JANE = Customer(user_id="UJANE", dm_channel_id="DJANE")
_ts = iter(range(1, 10_000))


def ts() -> str:
    return f"1700000100.{next(_ts):06d}"


@pytest.fixture
def desk(database_url: str) -> Iterator[Helpdesk]:
    migrate(database_url)
    db = Database(database_url)
    yield Helpdesk(db, clock=FakeClock(), flood_limit=5, flood_window=timedelta(minutes=1))
    db.dispose()


@pytest.fixture
def connected(desk: Helpdesk) -> tuple[int, int, str]:
    """A connected conversation: (conversation id, ticket id, ticket thread ts)."""
    outcome = desk.receive_customer_message(JANE, ts(), "agent please")
    thread = ts()
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT, thread)  # type: ignore[arg-type]
    desk.claim(outcome.ticket_id, "UALICE", "Alice")  # type: ignore[arg-type]
    return outcome.conversation_id, outcome.ticket_id, thread  # type: ignore[return-value]


def stored(desk: Helpdesk, source_ts: str) -> Message:
    with desk.db.transaction() as session:
        return session.exec(Message.__table__.select().where(Message.source_ts == source_ts)).one()  # type: ignore[attr-defined]


def test_delivered_parts_are_recorded(desk: Helpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, thread = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "long text")
    [delivery] = desk.deliveries.pending(conversation_id)
    assert (delivery.channel_id, delivery.thread_ts, delivery.attempts) == (SUPPORT, thread, 0)
    desk.deliveries.begin_attempt(delivery.message_id)
    assert desk.deliveries.pending(conversation_id)[0].attempts == 1  # a crash now leaves a trace
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1", "9.2", "9.3"], "long text")
    row = stored(desk, source)
    assert (row.dest_ts, row.dest_extra_ts, row.delivery_state) == ("9.1", "9.2 9.3", DeliveryState.DELIVERED)


def test_a_given_up_message_leaves_the_queue_and_is_traced_to_its_author(
    desk: Helpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, thread = connected
    reply = ts()
    desk.receive_agent_message(SUPPORT, thread, "UALICE", reply, "hello Jane")
    [delivery] = desk.deliveries.pending(conversation_id)
    desk.deliveries.given_up(delivery.message_id, "channel_not_found")
    assert desk.deliveries.pending(conversation_id) == []
    assert stored(desk, reply).delivery_state == DeliveryState.FAILED
    assert desk.deliveries.source_of(delivery.message_id) == (SUPPORT, thread)


def test_editing_a_delivered_message_marks_its_copy_stale(desk: Helpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, thread = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "my order is 1234")
    [delivery] = desk.deliveries.pending(conversation_id)
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], "my order is 1234")

    change = desk.deliveries.source_edited(JANE.dm_channel_id, source, "my order is 1243")

    assert change.needs_sync and change.conversation_id == conversation_id
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert (copy.text, copy.ts, copy.thread_ts, copy.deleted) == ("my order is 1243", "9.1", thread, False)
    assert desk.deliveries.conversations_with_work() == [conversation_id]
    desk.deliveries.copy_synced(copy.message_id, [])
    assert desk.deliveries.stale_copies(conversation_id) == []


def test_an_edit_that_changes_nothing_needs_no_sync(desk: Helpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "see https://example.com")
    [delivery] = desk.deliveries.pending(conversation_id)
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], "see https://example.com")
    # Slack reports unfurls as message_changed with the same text.
    assert not desk.deliveries.source_edited(JANE.dm_channel_id, source, "see https://example.com").needs_sync


def test_editing_a_pending_message_changes_what_will_be_sent(desk: Helpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "typo")
    change = desk.deliveries.source_edited(JANE.dm_channel_id, source, "fixed")
    assert not change.needs_sync
    assert [d.text for d in desk.deliveries.pending(conversation_id)] == ["fixed"]


def test_deleting_a_pending_message_withdraws_it(desk: Helpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "oops, wrong chat")
    assert not desk.deliveries.source_deleted(JANE.dm_channel_id, source).needs_sync
    assert desk.deliveries.pending(conversation_id) == []
    assert stored(desk, source).delivery_state == DeliveryState.NOT_RELAYED


def test_deleting_a_delivered_message_marks_its_copy_for_removal(
    desk: Helpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, thread = connected
    reply = ts()
    desk.receive_agent_message(SUPPORT, thread, "UALICE", reply, "wrong customer, sorry")
    [delivery] = desk.deliveries.pending(conversation_id)
    desk.deliveries.delivered(delivery.message_id, "DJANE", ["9.5", "9.6"], "wrong customer, sorry")

    assert desk.deliveries.source_deleted(SUPPORT, reply).needs_sync
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert (copy.direction, copy.deleted, copy.ts, copy.extra_ts) == (Direction.FROM_AGENT, True, "9.5", ("9.6",))
    # Deleting twice, or editing after deleting, changes nothing more.
    assert desk.deliveries.source_deleted(SUPPORT, reply).conversation_id is None
    assert desk.deliveries.source_edited(SUPPORT, reply, "x").conversation_id is None


def test_unknown_sources_are_ignored(desk: Helpdesk) -> None:
    assert desk.deliveries.source_edited("DNOBODY", "1.1", "x").conversation_id is None
    assert desk.deliveries.source_deleted("DNOBODY", "1.1").conversation_id is None


def test_flooding_customers_are_asked_once_to_slow_down_and_every_message_is_kept(desk: Helpdesk) -> None:
    outcomes = [desk.receive_customer_message(JANE, ts(), f"message {i}") for i in range(12)]
    assert [o.quiet for o in outcomes] == [False] * 5 + [True] * 7
    assert [o.ask_to_slow_down for o in outcomes].count(True) == 1 and outcomes[5].ask_to_slow_down
    with desk.db.transaction() as session:
        assert len(session.exec(Message.__table__.select()).all()) == 12  # type: ignore[attr-defined]


def test_an_edit_during_delivery_leaves_the_copy_to_be_synced(desk: Helpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "first version")
    [delivery] = desk.deliveries.pending(conversation_id)
    desk.deliveries.source_edited(JANE.dm_channel_id, source, "second version")  # while the post is on its way
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], sent_text=delivery.text)
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert copy.text == "second version"


def test_a_delete_during_delivery_leaves_the_copy_to_be_removed(
    desk: Helpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "regret")
    [delivery] = desk.deliveries.pending(conversation_id)
    desk.deliveries.source_deleted(JANE.dm_channel_id, source)
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], sent_text=delivery.text)
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert copy.deleted
