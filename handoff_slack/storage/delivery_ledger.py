"""The ledger of the outbox: what still has to reach the other side, and what did (every SQL statement).

The Slack edge asks it what to send and reports back. An attempt is counted *before* the post,
so after a crash between "posted" and "recorded" the next sender knows a copy may already exist
and looks for it instead of posting again.

A message relayed as it arrives has its first attempt counted when it is stored (in the same
transaction), and *reserved* in this process: the flush that makes that attempt needs no write of
its own before posting. A reservation lives only in memory, so after a crash, or in another
replica, the count says an attempt may have been made, and the copy is looked for first: safe,
at the cost of one look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, update
from sqlalchemy import select as core_select
from sqlmodel import col, select

from handoff_slack.core.deliveries import Delivery, FirstAttempts, files_from_json
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.states import DeliveryState, Direction, TicketState
from handoff_slack.storage.copy_ledger import CopyLedger, shown_as
from handoff_slack.storage.database import Database
from handoff_slack.storage.locks import OUTBOX_FLUSH, replica_lock
from handoff_slack.storage.models import Message, conversation_table, message_table, ticket_table

# The outbox runs these per relayed message, so they are Core statements built once (see the note
# in core.helpdesk); the rest of the ledger uses the ORM models.
_messages, _tickets, _conversations = message_table, ticket_table, conversation_table

# Whether the conversation has copies to bring up to date (edited or deleted since): asked with the
# pending messages, so a relay's flush reads once (and on its own only when nothing is pending).
_stale_copies = _messages.alias("stale_copy")
_HAS_STALE_COPY = (
    core_select(_stale_copies.c.id)
    .where(_stale_copies.c.conversation_id == bindparam("conversation_id"), _stale_copies.c.copy_stale.is_(True))
    .limit(1)
)
_PENDING = (
    core_select(
        _messages.c.id,
        _messages.c.ticket_id,
        _messages.c.direction,
        _messages.c.text,
        _messages.c.files,
        _messages.c.attempts,
        _messages.c.created_at,
        _messages.c.dest_ts,
        _messages.c.dest_extra_ts,
        _messages.c.dest_files_done,
        _messages.c.dest_file_pending_id,
        _messages.c.notice,
        _tickets.c.state.label("ticket_state"),
        _tickets.c.message_channel_id,
        _tickets.c.message_ts,
        _tickets.c.agent_name,
        _tickets.c.agent_avatar_url,
        # The conversation's door: to-customer messages go to the DM, or into the customer's thread.
        _conversations.c.channel_id.label("door_channel_id"),
        _conversations.c.thread_ts.label("door_thread_ts"),
        _conversations.c.customer_name,
        _conversations.c.customer_avatar_url,
        _messages.c.author_name,  # a colleague's in a shared thread (core.message_authors)
        _messages.c.author_avatar_url,
        _HAS_STALE_COPY.exists().label("has_stale_copy"),
    )
    # Outer: the bot's replies in bot mode belong to no ticket.
    .join(_tickets, _tickets.c.id == _messages.c.ticket_id, isouter=True)
    .join(_conversations, _conversations.c.id == _messages.c.conversation_id)
    .where(
        _messages.c.conversation_id == bindparam("conversation_id"),
        _messages.c.delivery_state == DeliveryState.PENDING.value,
    )
    .order_by(_messages.c.id)
)
_INSERT_MESSAGE = insert(_messages)
_DROP = (
    update(_messages)
    .where(_messages.c.id == bindparam("message_id"), _messages.c.delivery_state == DeliveryState.PENDING.value)
    .values(delivery_state=DeliveryState.DROPPED.value)
)
_COUNT_ATTEMPT = (
    update(_messages).where(_messages.c.id == bindparam("message_id")).values(attempts=_messages.c.attempts + 1)
)
_TEXT_COPY = {
    "dest_channel_id": bindparam("copy_channel_id"),
    "dest_ts": bindparam("copy_ts"),
    "dest_extra_ts": bindparam("copy_extra_ts"),
    "last_error": None,
    # Decided by the database in the same statement, so an edit committed a moment ago counts.
    "copy_stale": or_(_messages.c.text != bindparam("sent_text"), _messages.c.deleted_at.is_not(None)),
}
_RECORD_TEXT_COPY = {
    finished: update(_messages)
    .where(_messages.c.id == bindparam("message_id"))
    .values(
        **_TEXT_COPY,
        **(
            {"delivery_state": DeliveryState.DELIVERED.value, "delivered_at": bindparam("delivered_at")}
            if finished
            else {}
        ),
    )
    .returning(_messages.c.copy_stale)
    for finished in (True, False)
}


class DeliveryLedger(CopyLedger):
    """What to send and what was sent; the copies of edited and deleted sources come from CopyLedger."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        super().__init__(db, clock)
        self.first_attempts = FirstAttempts()

    def flush_lock(self, conversation_id: int) -> AbstractContextManager[None]:
        """Held while a conversation's pending messages are sent: one sender at a time across replicas."""
        return replica_lock(self.db, OUTBOX_FLUSH, conversation_id)

    def pending_work(self, conversation_id: int) -> tuple[list[Delivery], bool]:
        """Undelivered messages of a conversation, oldest first, with their destinations; and
        whether the conversation has stale copies to sync. Reads only.

        A customer message whose ticket has no support-channel message yet has nowhere to go; it
        is left out and picked up once the ticket message exists. A delivery's `attempts` are the
        attempts begun: a first attempt reserved by this process (counted, not made) is not one of them.
        """
        with self.db.autocommit() as connection:
            rows = connection.execute(_PENDING, {"conversation_id": conversation_id}).all()
            if rows:
                stale = bool(rows[0].has_stale_copy)
            else:
                stale = connection.execute(_HAS_STALE_COPY, {"conversation_id": conversation_id}).first() is not None
        deliveries: list[Delivery] = []
        for row in rows:
            direction = Direction(row.direction)
            to_thread = direction.to_thread
            if to_thread and (row.message_ts is None or row.message_channel_id is None):
                continue
            from_customer = direction is Direction.FROM_CUSTOMER
            deliveries.append(
                Delivery(
                    message_id=row.id,
                    conversation_id=conversation_id,
                    ticket_id=row.ticket_id,
                    direction=direction,
                    text=row.text,
                    channel_id=row.message_channel_id if to_thread else row.door_channel_id,
                    thread_ts=row.message_ts if to_thread else row.door_thread_ts,
                    **shown_as(row, from_customer),
                    attempts=row.attempts - self.first_attempts.holds(row.id),
                    created_at=row.created_at,
                    files=files_from_json(row.files),
                    files_done=row.dest_files_done,
                    file_pending_id=row.dest_file_pending_id,
                    text_ts=tuple([row.dest_ts, *(row.dest_extra_ts or "").split()]) if row.dest_ts else (),
                    notice=Notice.from_json(row.notice) if row.notice else None,
                    ticket_state=TicketState(row.ticket_state) if row.ticket_state else None,
                )
            )
        return deliveries, stale

    # -- the bot's notices ---------------------------------------------------------------------------

    def notice_row(
        self, conversation_id: int, ticket_id: int | None, audience: Audience, notice: Notice
    ) -> dict[str, Any]:
        """A notice's message row, to be stored in the transaction that decided it (see `store_notices`)."""
        return {
            "conversation_id": conversation_id,
            "ticket_id": ticket_id,
            "direction": audience.direction.value,
            "text": "",
            "notice": notice.to_json(),
            "delivery_state": DeliveryState.PENDING.value,
            "dest_files_done": 0,
            "attempts": 0,
            "copy_stale": False,
            "created_at": self.clock(),
        }

    @staticmethod
    def store_notices(connection: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """Store notice rows (`notice_row`) on a session or connection, in the caller's transaction."""
        for row in rows:  # one by one: their IDs are their order of delivery
            connection.execute(_INSERT_MESSAGE, row)

    def notify(self, conversation_id: int, ticket_id: int | None, audience: Audience, notice: Notice) -> None:
        """Store one notice on its own (e.g. the outbox telling an author their message did not arrive)."""
        with self.db.autocommit(writes=True) as connection:
            self.store_notices(connection, [self.notice_row(conversation_id, ticket_id, audience, notice)])

    def dropped(self, message_id: int) -> None:
        """A notice that is no longer true, or that a newer one replaces: never sent."""
        with self.db.autocommit(writes=True) as connection:
            connection.execute(_DROP, {"message_id": message_id})

    def begin_attempt(self, message_id: int) -> None:
        """Count an attempt at the message's text before it is made (free when already reserved)."""
        if self.first_attempts.take(message_id):
            return
        with self.db.autocommit(writes=True) as connection:
            connection.execute(_COUNT_ATTEMPT, {"message_id": message_id})

    def delivered(self, message_id: int, channel_id: str, ts: list[str], sent_text: str) -> bool:
        """Record where the copy is (all parts of a long text): the message has arrived.

        An edit or delete that arrived while the copy was on its way left the copy stale: it is
        marked for syncing, so the reader ends up with the final text either way. True when it is.
        """
        return self._record_text_copy(message_id, channel_id, ts, sent_text, finished=True)

    def text_posted(self, message_id: int, channel_id: str, ts: list[str], sent_text: str) -> bool:
        """Record the copy of a message's text while its files are still to come."""
        return self._record_text_copy(message_id, channel_id, ts, sent_text, finished=False)

    def _record_text_copy(
        self, message_id: int, channel_id: str, ts: list[str], sent_text: str, finished: bool
    ) -> bool:
        parameters: dict[str, Any] = {
            "message_id": message_id,
            "copy_channel_id": channel_id,
            "copy_ts": ts[0],
            "copy_extra_ts": " ".join(ts[1:]) or None,
            "sent_text": sent_text,
        }
        if finished:
            parameters["delivered_at"] = self.clock()
        with self.db.autocommit(writes=True) as connection:
            return bool(connection.execute(_RECORD_TEXT_COPY[finished], parameters).scalar())

    # -- files ------------------------------------------------------------------------------------

    def begin_file(self, message_id: int) -> bool:
        """Count an attempt at the next file; False when the message was withdrawn meanwhile (deleted)."""
        with self.db.autocommit(writes=True) as connection:
            return bool(
                connection.execute(
                    update(Message)
                    .where(col(Message.id) == message_id, col(Message.delivery_state) == DeliveryState.PENDING)
                    .values(attempts=Message.attempts + 1)
                ).rowcount
            )

    def file_upload_started(self, message_id: int, index: int, upload_id: str) -> None:
        """Slack's ID for an upload of the file at `index`, recorded before its bytes are sent.

        Until the file is recorded as passed, a retry asks Slack whether this upload was shared.
        """
        with self.db.autocommit(writes=True) as connection:
            connection.execute(
                update(Message)
                .where(col(Message.id) == message_id, col(Message.dest_files_done) == index)
                .values(dest_file_pending_id=upload_id)
            )

    def file_passed(self, message_id: int, index: int) -> None:
        """The file at `index` is on the other side (or a notice in its place): never send it again."""
        with self.db.autocommit(writes=True) as connection:
            connection.execute(
                update(Message)
                .where(col(Message.id) == message_id, col(Message.dest_files_done) <= index)
                .values(dest_files_done=index + 1, dest_file_pending_id=None)
            )

    def files_delivered(self, message_id: int, channel_id: str) -> None:
        """All of the message is on the other side (its text was recorded by `text_posted`, if any)."""
        with self.db.autocommit(writes=True) as connection:
            connection.execute(
                update(Message)
                .where(col(Message.id) == message_id, col(Message.delivery_state) == DeliveryState.PENDING)
                .values(
                    delivery_state=DeliveryState.DELIVERED,
                    dest_channel_id=channel_id,
                    delivered_at=self.clock(),
                    last_error=None,
                )
            )

    def attempt_failed(self, message_id: int, error: str) -> None:
        with self.db.autocommit(writes=True) as connection:
            connection.execute(update(Message).where(col(Message.id) == message_id).values(last_error=error[:255]))

    def given_up(self, message_id: int, error: str) -> None:
        with self.db.autocommit(writes=True) as connection:
            connection.execute(
                update(Message)
                .where(col(Message.id) == message_id)
                .values(delivery_state=DeliveryState.FAILED, last_error=error[:255])
            )

    def conversations_with_work(self) -> list[int]:
        """Conversations with messages to deliver or copies to bring up to date."""
        with self.db.transaction() as session:
            return list(
                session.exec(
                    select(Message.conversation_id)
                    .where(
                        or_(
                            col(Message.delivery_state) == DeliveryState.PENDING,
                            col(Message.copy_stale).is_(True),
                        )
                    )
                    .distinct()
                ).all()
            )
