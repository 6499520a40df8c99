"""The messages that passed through (the helpdesk's side): storing one, finding one by its source,
and a conversation's messages to the bot for a ticket's transcript. (The outbox's statements are
storage.delivery_ledger's.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from handoff_slack.core.helpdesk_storage import StoredNotice
from handoff_slack.core.states import Direction
from handoff_slack.storage.database import InsertIfAbsent
from handoff_slack.storage.models import Message, message_table

_messages = message_table
_MESSAGE_AT_SOURCE = (
    core_select(_messages.c.id)
    .where(_messages.c.source_channel_id == bindparam("channel_id"), _messages.c.source_ts == bindparam("ts"))
    .limit(1)
)
_store_message = InsertIfAbsent(Message)
# Agent assist (core.assist): a suggestion's notice row, locked while one click decides it.
_LOCKED_NOTICE = (
    core_select(
        _messages.c.id,
        _messages.c.conversation_id,
        _messages.c.ticket_id,
        _messages.c.notice,
    )
    .where(_messages.c.id == bindparam("message_id"), _messages.c.notice.is_not(None))
    .with_for_update()
)
# A survey (core.satisfaction): read first to learn its conversation, which is locked before the row.
_NOTICE = core_select(_messages.c.id, _messages.c.conversation_id, _messages.c.ticket_id, _messages.c.notice).where(
    _messages.c.id == bindparam("message_id"), _messages.c.notice.is_not(None)
)


class MessageRepository:
    """Messages, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def store_new(self, row: dict[str, Any]) -> int | None:
        """Store a new message row: its ID, or None when one with the same source was there (a redelivery)."""
        message_id = _store_message(self._session, row)
        return None if message_id is None else int(message_id)

    def exists(self, channel_id: str, ts: str) -> bool:
        return self._session.execute(_MESSAGE_AT_SOURCE, {"channel_id": channel_id, "ts": ts}).first() is not None

    def locked_notice(self, message_id: int) -> StoredNotice | None:
        """A notice's row (id, conversation, ticket, notice), locked until the commit."""
        return self._session.execute(_LOCKED_NOTICE, {"message_id": message_id}).first()

    def notice_of(self, message_id: int) -> StoredNotice | None:
        """A notice's row (id, conversation, ticket, notice), not locked."""
        return self._session.execute(_NOTICE, {"message_id": message_id}).first()

    def replace_notice(self, message_id: int, notice: dict[str, Any], revision: str) -> None:
        """What a notice says now; its copy, if posted, is marked for the outbox to bring up to date.

        `revision` becomes the row's text (a notice's text is otherwise unused): a copy being posted
        this very moment is recorded with the text read before, so DeliveryLedger finds it stale too.
        """
        self._session.execute(
            update(_messages)
            .where(_messages.c.id == message_id)
            .values(notice=notice, text=revision, copy_stale=_messages.c.dest_ts.is_not(None))
        )

    def said_to_bot(
        self, conversation_id: int, until: datetime, since: datetime | None, limit: int
    ) -> Sequence[Message]:
        """The customer's last `limit` messages up to `until` (after `since`), newest first."""
        query = select(Message).where(
            col(Message.conversation_id) == conversation_id,
            col(Message.direction) == Direction.FROM_CUSTOMER,
            col(Message.created_at) <= until,
        )
        if since is not None:
            query = query.where(col(Message.created_at) > since)
        return self._session.exec(query.order_by(col(Message.id).desc()).limit(limit)).all()

    def with_the_bot(
        self, conversation_id: int, until: datetime, since: datetime | None, limit: int
    ) -> Sequence[Message]:
        """The customer's messages and the bot's notices to them, up to `until` (after `since`), newest first."""
        query = select(Message).where(
            col(Message.conversation_id) == conversation_id,
            col(Message.direction).in_((Direction.FROM_CUSTOMER, Direction.TO_CUSTOMER)),
            col(Message.created_at) <= until,
        )
        if since is not None:
            query = query.where(col(Message.created_at) > since)
        # By time: a customer's message is stored after the bot's replies to it, but received before.
        newest_first = (col(Message.created_at).desc(), col(Message.id).desc())
        return self._session.exec(query.order_by(*newest_first).limit(limit)).all()
