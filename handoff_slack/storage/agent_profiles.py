"""Agents' profiles (roster_tables.AgentProfileRow) per workspace, and their load: read and changed
as core.agent_profiles values. A change and its audit row commit together."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlmodel import SQLModel

from handoff_slack.core.agent_profiles import AgentProfile, AgentStatus, Availability, ProfileChange
from handoff_slack.core.audit import AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.states import TicketState
from handoff_slack.storage.audit_log import AuditRecorder
from handoff_slack.storage.database import Database, InsertIfAbsent
from handoff_slack.storage.models import conversation_table, ticket_table
from handoff_slack.storage.roster_tables import AgentProfileRow

_profiles: Table = SQLModel.metadata.tables[AgentProfileRow.__tablename__]
_insert = InsertIfAbsent(AgentProfileRow)


class AgentProfiles:
    """The agents' profiles of one workspace (the installing team's)."""

    def __init__(self, db: Database, workspace_id: str) -> None:
        self.db = db
        self.workspace_id = workspace_id

    def _mine(self) -> Any:
        return _profiles.c.workspace_id == self.workspace_id

    def get(self, user_id: str) -> AgentProfile | None:
        with self.db.autocommit() as connection:
            row = connection.execute(select(_profiles).where(self._mine(), _profiles.c.user_id == user_id)).first()
        return None if row is None else _profile(row)

    def profiles(self, user_ids: Iterable[str] | None = None) -> dict[str, AgentProfile]:
        """Stored profiles by user ID: everyone's, or only those of `user_ids`."""
        statement = select(_profiles).where(self._mine())
        if user_ids is not None:
            statement = statement.where(_profiles.c.user_id.in_(list(user_ids)))
        with self.db.autocommit() as connection:
            return {row.user_id: _profile(row) for row in connection.execute(statement)}

    def open_counts(self, user_id: str | None = None) -> dict[str, int]:
        """Connected conversations per agent (everyone's, or one agent's) in this workspace."""
        statement = (
            select(ticket_table.c.agent_user_id, func.count())
            .select_from(
                ticket_table.join(conversation_table, ticket_table.c.conversation_id == conversation_table.c.id)
            )
            .where(
                ticket_table.c.state == TicketState.CONNECTED,
                ticket_table.c.agent_user_id.is_not(None),
                conversation_table.c.workspace_id == self.workspace_id,
            )
            .group_by(ticket_table.c.agent_user_id)
        )
        if user_id is not None:
            statement = statement.where(ticket_table.c.agent_user_id == user_id)
        with self.db.autocommit() as connection:
            return {str(agent): int(count) for agent, count in connection.execute(statement)}

    def status(self, user_id: str, default_capacity: int) -> AgentStatus:
        profile = self.get(user_id) or AgentProfile(user_id)
        return AgentStatus(profile, self.open_counts(user_id).get(user_id, 0), profile.capacity_or(default_capacity))

    def change(self, user_id: str, change: ProfileChange, by_user_id: str, at: datetime) -> AgentProfile:
        """Apply `change` to `user_id`'s profile (created offline if there is none) and record it in
        the audit log, in one transaction; concurrent changes of different parts all stick."""
        mine = (self._mine(), _profiles.c.user_id == user_id)
        with self.db.transaction() as session:
            _insert(session, _row(self.workspace_id, AgentProfile(user_id), by_user_id, at))
            locked = session.execute(select(_profiles).where(*mine).with_for_update()).one()
            changed = change.applied_to(_profile(locked), by_user_id, at)
            values = _row(self.workspace_id, changed, by_user_id, at)
            session.execute(update(_profiles).where(*mine).values(**values))
            AuditRecorder(session, self.workspace_id).record(
                by_user_id, AuditAction.STATUS, at, subject_user_id=user_id, details=change.as_details()
            )
        return changed


def _row(workspace_id: str, profile: AgentProfile, by_user_id: str, at: datetime) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "user_id": profile.user_id,
        "availability": str(profile.availability),
        "capacity": profile.capacity,
        "languages": list(profile.languages),
        "skills": list(profile.skills),
        "updated_at": at,
        "updated_by_user_id": by_user_id,
    }


def _profile(row: Any) -> AgentProfile:
    return AgentProfile(
        user_id=row.user_id,
        availability=Availability(row.availability),
        capacity=row.capacity,
        languages=tuple(row.languages or ()),
        skills=tuple(row.skills or ()),
        updated_at=as_utc(row.updated_at),
        updated_by_user_id=row.updated_by_user_id,
    )
