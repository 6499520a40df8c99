"""Served shared channels (models.ServedChannel): turned on and off by admins, asked about per event,
with each channel's own greeting and triage switch (core.channel_settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select, update
from sqlmodel import SQLModel

from handoff_slack.core.channel_settings import ChannelSettings
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.states import ConversationMode
from handoff_slack.storage.database import Database, InsertIfAbsent
from handoff_slack.storage.delivery_ledger import DeliveryLedger
from handoff_slack.storage.models import ServedChannel, conversation_table, utcnow

_served: Table = SQLModel.metadata.tables[ServedChannel.__tablename__]
_conversations = conversation_table
_insert = InsertIfAbsent(ServedChannel)
# A thread's conversation with an open ticket: what turning its channel off leaves to the agents.
_WITH_AGENTS = (ConversationMode.WAITING.value, ConversationMode.CONNECTED.value, ConversationMode.SUPERVISED.value)


@dataclass(frozen=True)
class TurnedOff:
    """A channel no longer served: its threads' conversations that had an open ticket (and its ID)."""

    open_conversations: tuple[tuple[int, int], ...] = ()


class ServedChannels:
    """The served channels of one workspace (the installing team's)."""

    def __init__(self, db: Database, workspace_id: str, ledger: DeliveryLedger | None = None) -> None:
        self.db = db
        self.workspace_id = workspace_id
        self.ledger = ledger  # where turning a channel off tells the open tickets' threads
        mine = _served.c.workspace_id == workspace_id
        self._is_served = select(_served.c.channel_id).where(mine, _served.c.channel_id == bindparam("channel_id"))
        self._settings = select(_served.c.greeting, _served.c.triage).where(
            mine, _served.c.channel_id == bindparam("channel_id")
        )

    def turn_on(self, channel_id: str, by_user_id: str, at: datetime | None = None) -> bool:
        """True when the channel was not served before."""
        row = {
            "workspace_id": self.workspace_id,
            "channel_id": channel_id,
            "turned_on_by_user_id": by_user_id,
            "turned_on_at": at or utcnow(),
        }
        with self.db.transaction() as session:
            return _insert(session, row) is not None

    def turn_off(self, channel_id: str, tell_agents: Notice | None = None) -> TurnedOff | None:
        """None when the channel was not served. Its settings go with it. `tell_agents`: stored for
        each open ticket of the channel's threads, in the same transaction (the outbox posts it in
        the ticket's thread)."""
        statement = delete(_served).where(
            _served.c.workspace_id == self.workspace_id, _served.c.channel_id == channel_id
        )
        found = (
            select(_conversations.c.id, _conversations.c.active_ticket_id)
            .where(
                _conversations.c.workspace_id == self.workspace_id,
                _conversations.c.channel_id == channel_id,
                _conversations.c.thread_ts.is_not(None),
                _conversations.c.mode.in_(_WITH_AGENTS),
                _conversations.c.active_ticket_id.is_not(None),
            )
            .order_by(_conversations.c.id)
        )
        with self.db.transaction() as session:
            if not session.execute(statement.returning(_served.c.channel_id)).first():
                return None
            open_ones = tuple((int(row[0]), int(row[1])) for row in session.execute(found))
            if tell_agents is not None and self.ledger is not None:
                rows = [
                    self.ledger.notice_row(conversation_id, ticket_id, Audience.AGENTS, tell_agents)
                    for conversation_id, ticket_id in open_ones
                ]
                self.ledger.store_notices(session, rows)
        return TurnedOff(open_ones)

    def is_served(self, channel_id: str) -> bool:
        with self.db.autocommit() as connection:
            return connection.execute(self._is_served, {"channel_id": channel_id}).first() is not None

    def settings(self, channel_id: str) -> ChannelSettings | None:
        """The channel's own choices; None when it is not served (one read, as `is_served`)."""
        with self.db.autocommit() as connection:
            row = connection.execute(self._settings, {"channel_id": channel_id}).first()
        return None if row is None else ChannelSettings(row.greeting, row.triage)

    def settings_at(self, door: FrontDoor) -> ChannelSettings | None:
        """The settings of a thread door's channel; None for a DM (no read) or a channel not served."""
        return self.settings(door.channel_id) if door.is_thread else None

    def set_greeting(self, channel_id: str, greeting: str | None) -> bool:
        """The channel's greeting (None: the bot's); False when the channel is not served."""
        return self._set(channel_id, greeting=greeting)

    def set_triage(self, channel_id: str, triage: bool | None) -> bool:
        """Whether triage runs in the channel's threads (None: as the bot's YAML says); False when not served."""
        return self._set(channel_id, triage=triage)

    def _set(self, channel_id: str, **values: str | bool | None) -> bool:
        statement = (
            update(_served)
            .where(_served.c.workspace_id == self.workspace_id, _served.c.channel_id == channel_id)
            .values(**values)
            .returning(_served.c.channel_id)
        )
        with self.db.transaction() as session:
            return session.execute(statement).first() is not None

    def listed(self) -> list[str]:
        """The served channels' IDs, in the order they were turned on."""
        return [channel_id for channel_id, _ in self.listed_with_settings()]

    def listed_with_settings(self) -> list[tuple[str, ChannelSettings]]:
        """The served channels and their settings, in the order they were turned on."""
        statement = (
            select(_served.c.channel_id, _served.c.greeting, _served.c.triage)
            .where(_served.c.workspace_id == self.workspace_id)
            .order_by(_served.c.turned_on_at, _served.c.channel_id)
        )
        with self.db.autocommit() as connection:
            return [(row[0], ChannelSettings(row[1], row[2])) for row in connection.execute(statement)]
