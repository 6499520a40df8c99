"""The delivery ledger on a real database: what to send, what was sent, edits and deletes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from handoff_slack.core.deliveries import FirstAttempts, SharedFile, files_from_json
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.notices import NoticeKind
from handoff_slack.core.states import DeliveryState, Direction
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.models import Message
from tests.core.test_helpdesk import FakeClock, pending, relays
from tests.support.migrated_template import from_migrated_template

SUPPORT = "CSUPPORT"
JANE = Customer(user_id="UJANE", door=FrontDoor("DJANE"))
_ts = iter(range(1, 10_000))


def ts() -> str:
    return f"1700000100.{next(_ts):06d}"


@pytest.fixture
def desk(database_url: str) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url)
    yield SqlHelpdesk(db, clock=FakeClock(), flood_limit=5, flood_window=timedelta(minutes=1))
    db.dispose()


@pytest.fixture
def connected(desk: SqlHelpdesk) -> tuple[int, int, str]:
    """A connected conversation: (conversation id, ticket id, ticket thread ts)."""
    outcome = desk.receive_customer_message(JANE, ts(), "agent please")
    thread = ts()
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT, thread)  # type: ignore[arg-type]
    desk.claim(outcome.ticket_id, "UALICE", "Alice")  # type: ignore[arg-type]
    settle_notices(desk, outcome.conversation_id)  # type: ignore[arg-type]
    return outcome.conversation_id, outcome.ticket_id, thread  # type: ignore[return-value]


def settle_notices(desk: SqlHelpdesk, conversation_id: int) -> None:
    """The bot's notices so far (queued, connected, ...) are out of the way: these tests are about relays."""
    for delivery in pending(desk, conversation_id):
        if delivery.notice is not None:
            desk.deliveries.delivered(delivery.message_id, delivery.channel_id, [ts()], sent_text="")


def stored(desk: SqlHelpdesk, source_ts: str) -> Message:
    with desk.db.transaction() as session:
        return session.exec(Message.__table__.select().where(Message.source_ts == source_ts)).one()  # type: ignore[attr-defined]


def test_delivered_parts_are_recorded(desk: SqlHelpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, thread = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "long text")
    [delivery] = relays(pending(desk, conversation_id))
    assert (delivery.channel_id, delivery.thread_ts, delivery.attempts) == (SUPPORT, thread, 0)
    desk.deliveries.begin_attempt(delivery.message_id)
    assert relays(pending(desk, conversation_id))[0].attempts == 1  # a crash now leaves a trace
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1", "9.2", "9.3"], "long text")
    row = stored(desk, source)
    assert (row.dest_ts, row.dest_extra_ts, row.delivery_state) == ("9.1", "9.2 9.3", DeliveryState.DELIVERED)


def test_a_given_up_message_leaves_the_queue(desk: SqlHelpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, thread = connected
    reply = ts()
    desk.receive_agent_message(SUPPORT, thread, "UALICE", reply, "hello Jane")
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.given_up(delivery.message_id, "channel_not_found")
    assert relays(pending(desk, conversation_id)) == []
    assert stored(desk, reply).delivery_state == DeliveryState.FAILED


def test_editing_a_delivered_message_marks_its_copy_stale(desk: SqlHelpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, thread = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "my order is 1234")
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], "my order is 1234")

    change = desk.deliveries.source_edited(JANE.door.channel_id, source, "my order is 1243")

    assert change.needs_sync and change.conversation_id == conversation_id
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert (copy.text, copy.ts, copy.thread_ts, copy.deleted) == ("my order is 1243", "9.1", thread, False)
    assert desk.deliveries.conversations_with_work() == [conversation_id]
    desk.deliveries.copy_synced(copy.message_id, [])
    assert desk.deliveries.stale_copies(conversation_id) == []


def test_an_edit_that_changes_nothing_needs_no_sync(desk: SqlHelpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "see https://example.com")
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], "see https://example.com")
    # Slack reports unfurls as message_changed with the same text.
    assert not desk.deliveries.source_edited(JANE.door.channel_id, source, "see https://example.com").needs_sync


def test_editing_a_pending_message_changes_what_will_be_sent(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "typo")
    change = desk.deliveries.source_edited(JANE.door.channel_id, source, "fixed")
    assert not change.needs_sync
    assert [d.text for d in relays(pending(desk, conversation_id))] == ["fixed"]


def test_deleting_a_pending_message_withdraws_it(desk: SqlHelpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "oops, wrong chat")
    assert not desk.deliveries.source_deleted(JANE.door.channel_id, source).needs_sync
    assert relays(pending(desk, conversation_id)) == []
    assert stored(desk, source).delivery_state == DeliveryState.NOT_RELAYED


def test_deleting_a_delivered_message_marks_its_copy_for_removal(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, thread = connected
    reply = ts()
    desk.receive_agent_message(SUPPORT, thread, "UALICE", reply, "wrong customer, sorry")
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.delivered(delivery.message_id, "DJANE", ["9.5", "9.6"], "wrong customer, sorry")

    assert desk.deliveries.source_deleted(SUPPORT, reply).needs_sync
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert (copy.direction, copy.deleted, copy.ts, copy.extra_ts) == (Direction.FROM_AGENT, True, "9.5", ("9.6",))
    # Deleting twice, or editing after deleting, changes nothing more.
    assert desk.deliveries.source_deleted(SUPPORT, reply).conversation_id is None
    assert desk.deliveries.source_edited(SUPPORT, reply, "x").conversation_id is None


def test_unknown_sources_are_ignored(desk: SqlHelpdesk) -> None:
    assert desk.deliveries.source_edited("DNOBODY", "1.1", "x").conversation_id is None
    assert desk.deliveries.source_deleted("DNOBODY", "1.1").conversation_id is None


def test_flooding_customers_are_asked_once_to_slow_down_and_every_message_is_kept(desk: SqlHelpdesk) -> None:
    outcomes = [desk.receive_customer_message(JANE, ts(), f"message {i}") for i in range(12)]
    assert [o.quiet for o in outcomes] == [False] * 5 + [True] * 7
    assert [o.ask_to_slow_down for o in outcomes].count(True) == 1 and outcomes[5].ask_to_slow_down
    with desk.db.transaction() as session:
        rows = session.exec(select(Message)).all()
    assert len([row for row in rows if row.direction == Direction.FROM_CUSTOMER]) == 12
    # Answers to the first five (the bot's: its greeting, then for the near-repeat only the offer of a person; then
    # the queue's: the bot hands over after two misses), and one request to slow down: nothing for each of the
    # seven over the rate.
    notices = [NoticeKind(row.notice["kind"]) for row in rows if row.notice]
    assert notices == [
        *[NoticeKind.BOT_REPLY] * 2,
        NoticeKind.QUEUED,
        *[NoticeKind.STILL_WAITING] * 2,
        NoticeKind.SLOW_DOWN,
    ]


def test_an_edit_during_delivery_leaves_the_copy_to_be_synced(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "first version")
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.source_edited(JANE.door.channel_id, source, "second version")  # while the post is on its way
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], sent_text=delivery.text)
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert copy.text == "second version"


def test_a_delete_during_delivery_leaves_the_copy_to_be_removed(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "regret")
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.source_deleted(JANE.door.channel_id, source)
    desk.deliveries.delivered(delivery.message_id, SUPPORT, ["9.1"], sent_text=delivery.text)
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert copy.deleted


# -- files ----------------------------------------------------------------------------------------

REPORT = SharedFile(
    id="F1",
    name="report.pdf",
    title="Q3",
    mimetype="application/pdf",
    size=1234,
    url_private_download="https://files.slack.com/files-pri/T1-F1/download/report.pdf",
    mode="hosted",
)
PHOTO = SharedFile(id="F2", name="photo.png", mimetype="image/png", size=99, mode="hosted")


def test_files_are_stored_with_the_message_and_handed_to_the_outbox(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "", files=[REPORT, PHOTO])
    assert stored(desk, source).files == [REPORT.to_json(), PHOTO.to_json()]
    [delivery] = relays(pending(desk, conversation_id))
    assert (delivery.files, delivery.files_done, delivery.text_ts) == ((REPORT, PHOTO), 0, ())
    assert not delivery.has_text_part  # a file share without words is only its files


def test_a_file_shares_progress_is_recorded_step_by_step(desk: SqlHelpdesk, connected: tuple[int, int, str]) -> None:
    conversation_id, _, thread = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "here you go", files=[REPORT, PHOTO])
    [delivery] = relays(pending(desk, conversation_id))
    assert delivery.has_text_part

    desk.deliveries.text_posted(delivery.message_id, SUPPORT, ["9.1", "9.2"], "here you go")
    assert desk.deliveries.begin_file(delivery.message_id)
    desk.deliveries.file_passed(delivery.message_id, 0)
    [later] = relays(pending(desk, conversation_id))  # still pending: a retry starts at the second file
    assert (later.text_ts, later.files_done, later.thread_ts) == (("9.1", "9.2"), 1, thread)

    desk.deliveries.file_passed(delivery.message_id, 0)  # recorded twice: no step back, no step skipped
    assert relays(pending(desk, conversation_id))[0].files_done == 1
    desk.deliveries.file_passed(delivery.message_id, 1)
    desk.deliveries.files_delivered(delivery.message_id, SUPPORT)
    assert relays(pending(desk, conversation_id)) == []
    row = stored(desk, source)
    assert (row.delivery_state, row.dest_ts, row.dest_extra_ts, row.dest_files_done) == (
        DeliveryState.DELIVERED,
        "9.1",
        "9.2",
        2,
    )


def test_an_upload_in_flight_is_remembered_until_its_file_is_passed(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "", files=[REPORT, PHOTO])
    [delivery] = relays(pending(desk, conversation_id))
    assert delivery.file_pending_id is None

    desk.deliveries.file_upload_started(delivery.message_id, 0, "F0UPLOAD1")
    assert relays(pending(desk, conversation_id))[0].file_pending_id == "F0UPLOAD1"  # a retry asks Slack
    desk.deliveries.file_upload_started(delivery.message_id, 1, "F0STALE")  # not the next file: ignored
    assert relays(pending(desk, conversation_id))[0].file_pending_id == "F0UPLOAD1"

    desk.deliveries.file_passed(delivery.message_id, 0)
    [later] = relays(pending(desk, conversation_id))
    assert (later.files_done, later.file_pending_id) == (1, None)
    assert stored(desk, source).dest_file_pending_id is None


def test_a_message_of_only_files_is_delivered_without_a_text_copy(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, thread = connected
    reply = ts()
    desk.receive_agent_message(SUPPORT, thread, "UALICE", reply, "", files=[PHOTO])
    [delivery] = relays(pending(desk, conversation_id))
    assert (delivery.channel_id, delivery.thread_ts, delivery.files) == ("DJANE", None, (PHOTO,))
    desk.deliveries.file_passed(delivery.message_id, 0)
    desk.deliveries.files_delivered(delivery.message_id, "DJANE")
    row = stored(desk, reply)
    assert (row.delivery_state, row.dest_channel_id, row.dest_ts) == (DeliveryState.DELIVERED, "DJANE", None)
    # Nothing to edit or remove: there is no text copy.
    assert not desk.deliveries.source_edited(SUPPORT, reply, "a caption").needs_sync


def test_an_edit_while_the_files_are_on_their_way_updates_the_text_already_shown(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "the invoice", files=[REPORT])
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.text_posted(delivery.message_id, SUPPORT, ["9.1"], "the invoice")

    assert desk.deliveries.source_edited(JANE.door.channel_id, source, "the invoice (Q3)").needs_sync
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert (copy.ts, copy.text) == ("9.1", "the invoice (Q3)")
    assert relays(pending(desk, conversation_id))[0].files_done == 0  # the file still follows


def test_a_delete_while_the_files_are_on_their_way_withdraws_the_rest(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    source = ts()
    desk.receive_customer_message(JANE, source, "wrong files", files=[REPORT, PHOTO])
    [delivery] = relays(pending(desk, conversation_id))
    desk.deliveries.text_posted(delivery.message_id, SUPPORT, ["9.1"], "wrong files")
    desk.deliveries.file_passed(delivery.message_id, 0)

    assert desk.deliveries.source_deleted(JANE.door.channel_id, source).needs_sync  # the text copy is marked

    assert not desk.deliveries.begin_file(delivery.message_id)  # the second file is not sent
    desk.deliveries.files_delivered(delivery.message_id, SUPPORT)  # a flush that was already running
    assert stored(desk, source).delivery_state == DeliveryState.NOT_RELAYED
    [copy] = desk.deliveries.stale_copies(conversation_id)
    assert copy.deleted and copy.ts == "9.1"


def test_file_shares_in_bot_mode_are_kept_but_not_relayed(desk: SqlHelpdesk) -> None:
    source = ts()
    outcome = desk.receive_customer_message(JANE, source, "", files=[PHOTO])
    assert outcome.conversation_id is not None
    row = stored(desk, source)
    assert (row.delivery_state, row.files) == (DeliveryState.NOT_RELAYED, [PHOTO.to_json()])
    assert relays(pending(desk, outcome.conversation_id)) == []


def test_stored_files_read_back_whatever_the_json_holds() -> None:
    assert files_from_json(None) == () and files_from_json({"id": "F1"}) == ()
    assert files_from_json([REPORT.to_json(), "junk", {"id": "F3", "size": True}]) == (
        REPORT,
        SharedFile(id="F3", name="F3"),
    )


# -- the first attempt, counted as the message is stored ------------------------------------------


def test_a_relayed_message_is_stored_with_its_first_attempt_counted_and_reserved(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, thread = connected
    source, reply = ts(), ts()
    desk.receive_customer_message(JANE, source, "to the agent")
    desk.receive_agent_message(SUPPORT, thread, "UALICE", reply, "to Jane")
    assert (stored(desk, source).attempts, stored(desk, reply).attempts) == (1, 1)  # a crash now leaves a trace
    # ... yet no attempt was made: the outbox posts without looking for a copy first.
    assert [d.attempts for d in relays(pending(desk, conversation_id))] == [0, 0]
    for delivery in relays(pending(desk, conversation_id)):
        desk.deliveries.begin_attempt(delivery.message_id)  # takes the reservation: no second count
    assert (stored(desk, source).attempts, stored(desk, reply).attempts) == (1, 1)
    assert [d.attempts for d in relays(pending(desk, conversation_id))] == [1, 1]
    desk.deliveries.begin_attempt(stored(desk, source).id)  # a retry counts again
    assert stored(desk, source).attempts == 2


def test_after_a_restart_a_counted_first_attempt_is_taken_as_possibly_made(
    desk: SqlHelpdesk, connected: tuple[int, int, str], database_url: str
) -> None:
    conversation_id, _, thread = connected
    desk.receive_customer_message(JANE, ts(), "stored, then the app died")
    desk.receive_agent_message(SUPPORT, thread, "UALICE", ts(), "mine too")
    restarted = SqlHelpdesk(Database(database_url), clock=FakeClock())  # same database, fresh memory
    try:
        # Another replica sees the same: the copy may exist, so it is looked for before posting.
        assert [d.attempts for d in pending(restarted, conversation_id)] == [1, 1]
    finally:
        restarted.db.dispose()


def test_relays_left_to_the_scheduler_have_no_attempt_counted_for_any_replica(
    desk: SqlHelpdesk, connected: tuple[int, int, str], database_url: str
) -> None:
    """A full backlog: the ack phase stores the relay for the scheduler (`flushing_now=False`). No
    attempt is counted or reserved, so whichever replica delivers it posts it without a look first."""
    conversation_id, _, thread = connected
    from_customer, from_agent = ts(), ts()
    desk.receive_customer_message(JANE, from_customer, "deferred", flushing_now=False)
    desk.receive_agent_message(SUPPORT, thread, "UALICE", from_agent, "deferred too", flushing_now=False)
    assert (stored(desk, from_customer).attempts, stored(desk, from_agent).attempts) == (0, 0)
    other_replica = SqlHelpdesk(Database(database_url), clock=FakeClock())
    try:
        assert [d.attempts for d in pending(other_replica, conversation_id)] == [0, 0]
    finally:
        other_replica.db.dispose()
    # This process holds no reservation for them either: its own retry counts the attempt first.
    first = relays(pending(desk, conversation_id))[0]
    desk.deliveries.begin_attempt(first.message_id)
    assert stored(desk, from_customer).attempts == 1


def test_messages_not_relayed_at_once_have_no_attempt_counted(
    desk: SqlHelpdesk, connected: tuple[int, int, str]
) -> None:
    conversation_id, _, _ = connected
    only_files = ts()
    desk.receive_customer_message(JANE, only_files, "", files=[REPORT])  # no text to post: files count their own
    waiting = Customer(user_id="UOMAR", door=FrontDoor("DOMAR"))
    desk.receive_customer_message(waiting, ts(), "agent please")
    while_waiting = ts()
    desk.receive_customer_message(waiting, while_waiting, "still there?")  # kept until an agent claims
    assert (stored(desk, only_files).attempts, stored(desk, while_waiting).attempts) == (0, 0)
    assert [d.attempts for d in relays(pending(desk, conversation_id))] == [0]


def test_first_attempt_reservations_are_bounded_and_dropped_with_their_transaction() -> None:
    reservations = FirstAttempts(limit=2)
    for message_id in (1, 2, 3):
        reservations.reserve(message_id)
    # The oldest went: its message is still delivered, after a look for its copy.
    assert [reservations.holds(m) for m in (1, 2, 3)] == [False, True, True]
    assert reservations.take(2) and not reservations.take(2)

    with pytest.raises(RuntimeError), reservations.reserving() as reserve:
        reserve(7)
        raise RuntimeError("the commit failed: message 7 was never stored (SQLite may reuse its ID)")
    assert not reservations.holds(7)
    with reservations.reserving() as reserve:
        reserve(8)
    assert reservations.holds(8)
