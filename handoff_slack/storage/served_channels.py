"""Served shared channels (models.ServedChannel): turned on and off by admins, asked about per event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select
from sqlmodel import SQLModel

from handoff_slack.storage.database import Database, InsertIfAbsent
from handoff_slack.storage.models import ServedChannel, utcnow

_served: Table = SQLModel.metadata.tables[ServedChannel.__tablename__]
_insert = InsertIfAbsent(ServedChannel)


class ServedChannels:
    """The served channels of one workspace (the installing team's)."""

    def __init__(self, db: Database, workspace_id: str) -> None:
        self.db = db
        self.workspace_id = workspace_id
        self._is_served = select(_served.c.channel_id).where(
            _served.c.workspace_id == workspace_id, _served.c.channel_id == bindparam("channel_id")
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

    def turn_off(self, channel_id: str) -> bool:
        """True when the channel was served."""
        statement = delete(_served).where(
            _served.c.workspace_id == self.workspace_id, _served.c.channel_id == channel_id
        )
        with self.db.transaction() as session:
            return bool(session.execute(statement.returning(_served.c.channel_id)).first())

    def is_served(self, channel_id: str) -> bool:
        with self.db.autocommit() as connection:
            return connection.execute(self._is_served, {"channel_id": channel_id}).first() is not None

    def listed(self) -> list[str]:
        """The served channels' IDs, in the order they were turned on."""
        statement = (
            select(_served.c.channel_id)
            .where(_served.c.workspace_id == self.workspace_id)
            .order_by(_served.c.turned_on_at, _served.c.channel_id)
        )
        with self.db.autocommit() as connection:
            return [row[0] for row in connection.execute(statement)]
