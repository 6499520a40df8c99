"""Watches: every SQL statement of watching a bot conversation and taking it over.

A watch is a ticket in state `watched` (at most one per conversation: a partial unique index), so
its support-channel message, thread and outbox routing are a ticket's. Its state changes (stopped,
ended by a hand-over, taken over) are conditional UPDATEs: of concurrent callers, in one process or
many, exactly one changes the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from handoff_slack.core.states import ConversationMode, Direction, EscalationReason, TicketState
from handoff_slack.storage.database import InsertIfAbsent
from handoff_slack.storage.models import Conversation, Message, Ticket
from handoff_slack.storage.tickets import rows_changed

_insert_ticket = InsertIfAbsent(Ticket)


class WatchRepository:
    """Watches, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- reads ----------------------------------------------------------------------------------

    def watch_of(self, conversation_id: int) -> Ticket | None:
        """The conversation's watch, if an agent watches it now."""
        return self._session.exec(
            select(Ticket).where(
                col(Ticket.conversation_id) == conversation_id, col(Ticket.state) == TicketState.WATCHED
            )
        ).first()

    def bot_conversations(
        self, since: datetime, limit: int
    ) -> tuple[int, list[tuple[Conversation, datetime, datetime]]]:
        """Conversations with the bot whose customer wrote since `since`: how many, and the `limit`
        most recently active with their first and last message in that time, newest first."""
        first_at, last_at = func.min(Message.created_at), func.max(Message.created_at)
        active = (
            select(
                col(Message.conversation_id).label("conversation_id"),
                first_at.label("first_at"),
                last_at.label("last_at"),
            )
            .where(col(Message.direction) == Direction.FROM_CUSTOMER, col(Message.created_at) >= since)
            .group_by(col(Message.conversation_id))
            .subquery()
        )
        with_bot = col(Conversation.mode) == ConversationMode.BOT
        joined = col(Conversation.id) == active.c.conversation_id
        total = self._session.exec(
            select(func.count()).select_from(Conversation).join(active, joined).where(with_bot)
        ).one()
        rows = self._session.exec(
            select(Conversation, active.c.first_at, active.c.last_at)
            .join(active, joined)
            .where(with_bot)
            .order_by(active.c.last_at.desc(), col(Conversation.id).desc())
            .limit(limit)
        ).all()
        return int(total), [(conversation, first, last) for conversation, first, last in rows]

    def last_customer_text(self, conversation_id: int) -> Message | None:
        return self._session.exec(
            select(Message)
            .where(col(Message.conversation_id) == conversation_id, col(Message.direction) == Direction.FROM_CUSTOMER)
            .order_by(col(Message.id).desc())
            .limit(1)
        ).first()

    def recent_bot_chat(self, conversation_id: int, since: datetime | None, limit: int) -> Sequence[Message]:
        """The customer's messages and the bot's notices to them (after `since`), newest first."""
        query = select(Message).where(
            col(Message.conversation_id) == conversation_id,
            col(Message.direction).in_([Direction.FROM_CUSTOMER, Direction.TO_CUSTOMER]),
        )
        if since is not None:
            query = query.where(col(Message.created_at) > since)
        return self._session.exec(query.order_by(col(Message.id).desc()).limit(limit)).all()

    # -- state changes --------------------------------------------------------------------------

    def start(self, conversation_id: int, agent_user_id: str, now: datetime) -> int | None:
        """A new watch of the conversation: its ticket's ID, or None when it is watched already."""
        row: dict[str, Any] = {
            "conversation_id": conversation_id,
            "state": TicketState.WATCHED.value,
            "reason": EscalationReason.WATCHED.value,
            "watched_by_user_id": agent_user_id,
            "watch_reply_noted": False,
            "message_attempts": 0,
            "message_stale": False,
            "created_at": now,
        }
        ticket_id = _insert_ticket(self._session, row)
        return None if ticket_id is None else int(ticket_id)

    def end(self, ticket_id: int, by_user_id: str | None, now: datetime) -> bool:
        """End the watch if it is on (stopped by an agent, or the customer left the bot)."""
        return self._from_watched(ticket_id, state=TicketState.WATCH_ENDED, closed_by_user_id=by_user_id, closed_at=now)

    def take_over(
        self, ticket_id: int, agent_user_id: str, agent_name: str | None, agent_avatar_url: str | None, now: datetime
    ) -> bool:
        """The watch becomes the agent's connected ticket, if it is still on."""
        return self._from_watched(
            ticket_id,
            state=TicketState.CONNECTED,
            reason=EscalationReason.TAKEN_OVER,
            agent_user_id=agent_user_id,
            agent_name=agent_name,
            agent_avatar_url=agent_avatar_url,
            claimed_at=now,
        )

    def connect(self, conversation_id: int, ticket_id: int, now: datetime) -> None:
        """The conversation talks with the ticket's agent now (its caller locked it and saw it with the bot)."""
        self._session.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(mode=ConversationMode.CONNECTED, active_ticket_id=ticket_id, updated_at=now)
        )

    def note_read_only(self, ticket_id: int) -> bool:
        """True the first time only: the watch's thread is to be told its replies are not relayed."""
        return bool(
            rows_changed(
                self._session.execute(
                    update(Ticket)
                    .where(
                        col(Ticket.id) == ticket_id,
                        col(Ticket.state) == TicketState.WATCHED,
                        col(Ticket.watch_reply_noted).is_(False),
                    )
                    .values(watch_reply_noted=True)
                )
            )
        )

    def _from_watched(self, ticket_id: int, **values: Any) -> bool:
        return bool(
            rows_changed(
                self._session.execute(
                    update(Ticket)
                    .where(col(Ticket.id) == ticket_id, col(Ticket.state) == TicketState.WATCHED)
                    .values(message_stale=True, **values)
                )
            )
        )
