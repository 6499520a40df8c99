"""A door's conversation (core.front_doors): every SQL statement of intake, the bot's state and flood control.

The relay's hot path (every message of a waiting or connected customer) runs Core statements
built once: the ORM and statement building cost more CPU than the database takes to run them.
Everything else uses the ORM models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, bindparam, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk_storage import LockedConversation, StoredConversation
from handoff_slack.core.states import ConversationMode, Direction
from handoff_slack.storage.models import Conversation, conversation_table, message_table

_conversations, _messages = conversation_table, message_table


def _at_door(threaded: bool) -> tuple[ColumnElement[bool], ...]:
    """A Core statement's WHERE for one door of the workspace (`door_parameters` binds it): the
    unique indexes of the door serve it, a DM's (thread NULL) and a thread's."""
    by_channel = (
        _conversations.c.workspace_id == bindparam("workspace_id"),
        _conversations.c.channel_id == bindparam("channel_id"),
    )
    if threaded:
        return (*by_channel, _conversations.c.thread_ts == bindparam("thread_ts"))
    return (*by_channel, _conversations.c.thread_ts.is_(None))


def door_parameters(workspace_id: str, door: FrontDoor) -> dict[str, Any]:
    if door.thread_ts is None:
        return {"workspace_id": workspace_id, "channel_id": door.channel_id}
    return {"workspace_id": workspace_id, "channel_id": door.channel_id, "thread_ts": door.thread_ts}


_ASK_TO_SLOW_DOWN = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(flood_notice_at=bindparam("now"))
)
# The early turn's read (core.early_turns), by whether the door is a thread.
BOT_STATE = {
    threaded: core_select(_conversations.c.mode, _conversations.c.bot_state).where(*_at_door(threaded))
    for threaded in (False, True)
}


def record_workspace(session: Session, workspace_id: str) -> int:
    """Conversations carried over by migration 0009 ('' workspace) are this install's: the app
    records its team there at start-up, before it serves anyone. How many it recorded."""
    statement = update(_conversations).where(_conversations.c.workspace_id == "").values(workspace_id=workspace_id)
    return cast(CursorResult[Any], session.execute(statement)).rowcount


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
        # Locks the door's row: its messages are handled one at a time across replicas.
        # FOR NO KEY UPDATE (key_share): rows that refer to it, such as an agent's reply stored at
        # the same moment, need not wait for it. One statement per kind of door (DM, thread).
        self.door_conversation = {
            threaded: core_select(
                _conversations.c.id,
                _conversations.c.mode,
                _conversations.c.active_ticket_id,
                _conversations.c.flood_notice_at,
                _conversations.c.customer_name,
                _conversations.c.customer_team_id,
                _conversations.c.customer_org_name,
                _conversations.c.workspace_id,
                flood_probe.label("flood_probe"),
            )
            .where(*_at_door(threaded))
            .with_for_update(of=_conversations, key_share=True)
            for threaded in (False, True)
        }


class ConversationRepository:
    """The conversations of one workspace, inside one transaction (`session`)."""

    def __init__(self, session: Session, statements: ConversationStatements, workspace_id: str) -> None:
        self._session = session
        self._statements = statements
        self._workspace_id = workspace_id

    def locked_for_message(self, door: FrontDoor) -> LockedConversation | None:
        """The door's conversation (id, mode, active ticket, flood notice and probe, whether its
        customer and their organisation are named), row-locked."""
        return self._session.execute(
            self._statements.door_conversation[door.is_thread], door_parameters(self._workspace_id, door)
        ).first()

    def asked_to_slow_down(self, conversation_id: int | None, now: datetime) -> None:
        self._session.execute(_ASK_TO_SLOW_DOWN, {"conversation_id": conversation_id, "now": now})

    def _by_door(self, door: FrontDoor) -> SelectOfScalar[Conversation]:
        by_door = select(Conversation).where(
            col(Conversation.workspace_id) == self._workspace_id, col(Conversation.channel_id) == door.channel_id
        )
        if door.thread_ts is None:
            return by_door.where(col(Conversation.thread_ts).is_(None))
        return by_door.where(col(Conversation.thread_ts) == door.thread_ts)

    def for_door(self, door: FrontDoor, customer_user_id: str, team_id: str | None, now: datetime) -> Conversation:
        """The door's conversation, row-locked; created, as `customer_user_id`'s, when it has none
        (racing requests: one wins)."""
        by_door = self._by_door(door).with_for_update(key_share=True)
        found = self._session.exec(by_door).first()
        if found is not None:
            return found
        conversation = Conversation(
            workspace_id=self._workspace_id,
            channel_id=door.channel_id,
            thread_ts=door.thread_ts,
            customer_user_id=customer_user_id,
            customer_team_id=team_id,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._session.begin_nested():  # a savepoint: losing the race must not abort the rest
                self._session.add(conversation)
        except IntegrityError:
            return self._session.exec(by_door).one()
        return conversation

    def at_door(self, door: FrontDoor) -> Conversation | None:
        return self._session.exec(self._by_door(door)).first()

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
