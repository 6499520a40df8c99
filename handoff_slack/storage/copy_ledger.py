"""Copies of relayed messages whose source was edited or deleted after they were sent (every SQL statement).

An edit or delete in Slack marks the stored message (and, once its copy exists, `copy_stale`); the
outbox then asks for the stale copies and brings each up to date on the other side. Only an author
who could still write to the other side changes what it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from handoff_slack.core.deliveries import SourceChange, StaleCopy
from handoff_slack.core.notices import Notice
from handoff_slack.core.states import DeliveryState, Direction, TicketState
from handoff_slack.storage.database import Database
from handoff_slack.storage.models import Message, Ticket, conversation_table, message_table, ticket_table

_messages, _tickets, _conversations = message_table, ticket_table, conversation_table

# Delivered copies whose source was edited or deleted since, oldest first, with where they are and as whom.
_STALE_COPIES = (
    core_select(
        _messages.c.id,
        _messages.c.ticket_id,
        _messages.c.direction,
        _messages.c.text,
        _messages.c.dest_channel_id,
        _messages.c.dest_ts,
        _messages.c.dest_extra_ts,
        _messages.c.deleted_at,
        _messages.c.created_at,
        _messages.c.notice,
        _tickets.c.message_ts,
        _tickets.c.agent_name,
        _tickets.c.agent_avatar_url,
        _conversations.c.thread_ts.label("door_thread_ts"),
        _conversations.c.customer_name,
        _conversations.c.customer_avatar_url,
        _messages.c.author_name,
        _messages.c.author_avatar_url,
    )
    .join(_tickets, _tickets.c.id == _messages.c.ticket_id)
    .join(_conversations, _conversations.c.id == _messages.c.conversation_id)
    .where(_messages.c.conversation_id == bindparam("conversation_id"), _messages.c.copy_stale.is_(True))
    .order_by(_messages.c.id)
)


class CopyLedger:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def source_edited(self, channel_id: str, ts: str, text: str) -> SourceChange:
        with self.db.transaction() as session:
            message = self._by_source(session, channel_id, ts)
            if message is None or message.deleted_at is not None or not self._author_may_relay(session, message):
                return SourceChange(None)
            if message.text == text:  # Slack also reports unfurls and reactions as changes
                return SourceChange(message.conversation_id)
            message.text = text
            message.edited_at = self.clock()
            # A text copy exists once it was posted, even while the message's files are still to come.
            message.copy_stale = message.copy_stale or message.dest_ts is not None
            return SourceChange(message.conversation_id, message.copy_stale)

    def source_deleted(self, channel_id: str, ts: str) -> SourceChange:
        with self.db.transaction() as session:
            message = self._by_source(session, channel_id, ts)
            if message is None or message.deleted_at is not None or not self._author_may_relay(session, message):
                return SourceChange(None)
            message.deleted_at = self.clock()
            if message.delivery_state == DeliveryState.PENDING:
                # Withdrawn before it was shown (or before all its files were): the rest never will be.
                message.delivery_state = DeliveryState.NOT_RELAYED
            message.copy_stale = message.dest_ts is not None
            return SourceChange(message.conversation_id, message.copy_stale)

    def stale_copies(self, conversation_id: int) -> list[StaleCopy]:
        with self.db.autocommit() as connection:
            rows = connection.execute(_STALE_COPIES, {"conversation_id": conversation_id}).all()
        copies = []
        for row in rows:
            from_customer = row.direction == Direction.FROM_CUSTOMER
            copies.append(
                StaleCopy(
                    message_id=row.id,
                    direction=Direction(row.direction),
                    text=row.text,
                    channel_id=row.dest_channel_id,
                    # A copy for the customer is at their door: the DM, or their thread.
                    thread_ts=row.message_ts if from_customer else row.door_thread_ts,
                    ts=row.dest_ts,
                    extra_ts=tuple((row.dest_extra_ts or "").split()),
                    deleted=row.deleted_at is not None,
                    conversation_id=conversation_id,
                    ticket_id=row.ticket_id,
                    **shown_as(row, from_customer),
                    created_at=row.created_at,
                    notice=Notice.from_json(row.notice) if row.notice else None,
                )
            )
        return copies

    def copy_synced(self, message_id: int, extra_ts: list[str]) -> None:
        with self.db.autocommit(writes=True) as connection:
            connection.execute(
                update(Message)
                .where(col(Message.id) == message_id)
                .values(copy_stale=False, dest_extra_ts=" ".join(extra_ts) or None)
            )

    @staticmethod
    def _author_may_relay(session: Session, message: Message) -> bool:
        """Whether the message's author could still write to the other side: its ticket is open, and
        for an agent's reply, still theirs. Else the copy stays as it was when the ticket ended or
        changed hands (a former owner does not rewrite what the customer was told)."""
        if message.ticket_id is None:
            return True  # kept for the record only (the bot's conversation): no copy to change
        ticket = session.get(Ticket, message.ticket_id)
        if ticket is None:
            return False
        if message.direction == Direction.FROM_AGENT:
            return ticket.state == TicketState.CONNECTED and ticket.agent_user_id == message.author_user_id
        return ticket.state in (TicketState.WAITING, TicketState.CONNECTED, TicketState.PROPOSED)

    @staticmethod
    def _by_source(session: Session, channel_id: str, ts: str) -> Message | None:
        # Locked: a delivery recording its copy at this moment must finish first, or this change
        # would be decided on the row's old state and overwrite what the delivery recorded.
        return session.exec(
            select(Message)
            .where(col(Message.source_channel_id) == channel_id, col(Message.source_ts) == ts)
            .with_for_update()
        ).first()


def shown_as(row: Any, from_customer: bool) -> dict[str, str | None]:
    """Whose name and avatar a relayed message is posted under: the agent's; the customer's; or, for
    a message of someone else in the customer's thread (`author_name`), that author's."""
    if not from_customer:
        return {"sender_name": row.agent_name, "sender_avatar_url": row.agent_avatar_url}
    if row.author_name:
        return {"sender_name": row.author_name, "sender_avatar_url": row.author_avatar_url}
    return {"sender_name": row.customer_name, "sender_avatar_url": row.customer_avatar_url}
