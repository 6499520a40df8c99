"""The customer's conversation: every SQL statement of intake, the bot's state and flood control.

The relay's hot path (every message of a waiting or connected customer) runs Core statements
built once: the ORM and statement building cost more CPU than the database takes to run them.
Everything else uses the ORM models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from handoff_slack.core.helpdesk_storage import LockedConversation, StoredConversation
from handoff_slack.core.states import ConversationMode, Direction
from handoff_slack.storage.models import Conversation, conversation_table, message_table

_conversations, _messages = conversation_table, message_table

_MOVE_DM = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(dm_channel_id=bindparam("new_dm_channel_id"))
)
_ASK_TO_SLOW_DOWN = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(flood_notice_at=bindparam("now"))
)
BOT_STATE = core_select(_conversations.c.mode, _conversations.c.bot_state).where(
    _conversations.c.customer_user_id == bindparam("customer_user_id")
)


class ConversationStatements:
    """The statements that depend on a setting (flood control's limit), built once per app."""

    def __init__(self, flood_limit: int) -> None:
        # Flood control's probe: when the customer's message `flood_limit` before the one arriving
        # was written. Reading just that one row (newest first, by index) keeps it cheap however
        # long the conversation is.
        flood_probe = (
            core_select(_messages.c.created_at)
            .where(
                _messages.c.conversation_id == _conversations.c.id,
                _messages.c.direction == Direction.FROM_CUSTOMER.value,
            )
            .order_by(_messages.c.id.desc())
            .offset(max(flood_limit - 1, 0))  # read before the new message is stored
            .limit(1)
            .scalar_subquery()
        )
        # Locks the customer's row: their messages are handled one at a time across replicas.
        # FOR NO KEY UPDATE (key_share): rows that refer to it, such as an agent's reply stored at
        # the same moment, need not wait for it.
        self.customer_conversation = (
            core_select(
                _conversations.c.id,
                _conversations.c.mode,
                _conversations.c.active_ticket_id,
                _conversations.c.dm_channel_id,
                _conversations.c.flood_notice_at,
                flood_probe.label("flood_probe"),
            )
            .where(_conversations.c.customer_user_id == bindparam("customer_user_id"))
            .with_for_update(of=_conversations, key_share=True)
        )


class ConversationRepository:
    """The conversations, inside one transaction (`session`)."""

    def __init__(self, session: Session, statements: ConversationStatements) -> None:
        self._session = session
        self._statements = statements

    def locked_for_message(self, customer_user_id: str) -> LockedConversation | None:
        """The customer's conversation (id, mode, active ticket, DM, flood notice and probe), row-locked."""
        return self._session.execute(
            self._statements.customer_conversation, {"customer_user_id": customer_user_id}
        ).first()

    def move_dm(self, conversation_id: int, dm_channel_id: str) -> None:
        self._session.execute(_MOVE_DM, {"conversation_id": conversation_id, "new_dm_channel_id": dm_channel_id})

    def asked_to_slow_down(self, conversation_id: int | None, now: datetime) -> None:
        self._session.execute(_ASK_TO_SLOW_DOWN, {"conversation_id": conversation_id, "now": now})

    def for_customer(
        self, customer_user_id: str, dm_channel_id: str, team_id: str | None, now: datetime
    ) -> Conversation:
        """The customer's conversation, row-locked; created when they have none (racing requests: one wins)."""
        by_customer = (
            select(Conversation)
            .where(col(Conversation.customer_user_id) == customer_user_id)
            .with_for_update(key_share=True)
        )
        found = self._session.exec(by_customer).first()
        if found is not None:
            if found.dm_channel_id != dm_channel_id:
                found.dm_channel_id = dm_channel_id
            return found
        conversation = Conversation(
            customer_user_id=customer_user_id,
            customer_team_id=team_id,
            dm_channel_id=dm_channel_id,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._session.begin_nested():  # a savepoint: losing the race must not abort the rest
                self._session.add(conversation)
        except IntegrityError:
            return self._session.exec(by_customer).one()
        return conversation

    def of_customer(self, customer_user_id: str) -> Conversation | None:
        return self._session.exec(
            select(Conversation).where(col(Conversation.customer_user_id) == customer_user_id)
        ).first()

    def get(self, conversation_id: int) -> Conversation | None:
        return self._session.get(Conversation, conversation_id)

    def locked(self, conversation_id: int) -> Conversation | None:
        """Row-locked like the customer's own steps lock it: an agent's decision and the customer's
        message take turns instead of locking ticket and conversation in opposite orders."""
        return self._session.exec(
            select(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).first()

    @staticmethod
    def save_bot_state(conversation: StoredConversation, bot_state: dict[str, Any] | None) -> None:
        assert isinstance(conversation, Conversation)  # one this repository gave out
        conversation.bot_state = bot_state

    def back_to_bot(self, conversation_id: int, ticket_id: int, now: datetime, keep_bot_state: bool = False) -> None:
        """Back with the bot. `keep_bot_state`: the bot carries on where it was (an approved answer
        ends the bot's own scenario); else a fresh start."""
        values: dict[str, Any] = {"mode": ConversationMode.BOT, "active_ticket_id": None, "updated_at": now}
        if not keep_bot_state:  # a new conversation as far as scenarios and triage go
            values["bot_state"] = None
        self._session.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id, col(Conversation.active_ticket_id) == ticket_id)
            .values(**values)
        )

    def waiting(self, conversation_id: int, now: datetime) -> None:
        self._session.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(mode=ConversationMode.WAITING, updated_at=now)
        )

    def connected(self, conversation_id: int, now: datetime) -> None:
        self._session.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(mode=ConversationMode.CONNECTED, updated_at=now)
        )

    def set_profile(
        self, conversation_id: int, name: str | None, avatar_url: str | None, org_name: str | None, now: datetime
    ) -> None:
        self._session.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(customer_name=name, customer_avatar_url=avatar_url, customer_org_name=org_name, updated_at=now)
        )
