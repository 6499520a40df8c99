"""The audit log (roster_tables.AuditLogRow): written in the transaction of the action it records,
read newest first as core.audit.AuditEntry values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlmodel import Session, SQLModel

from handoff_slack.core.audit import AuditAction, AuditEntry
from handoff_slack.core.clock import as_utc
from handoff_slack.storage.database import Database
from handoff_slack.storage.roster_tables import AuditLogRow

_audit: Table = SQLModel.metadata.tables[AuditLogRow.__tablename__]
_insert = insert(_audit)
# Details are a few facts (what changed), never message text: a row stays small.
MAX_DETAILS_CHARS = 2000


class AuditRecorder:
    """core.audit.AuditTrail in an open session: the row commits (or not) with the action."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def record(
        self,
        actor_user_id: str,
        action: AuditAction,
        at: datetime,
        ticket_id: int | None = None,
        subject_user_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if details is not None and len(json.dumps(details)) > MAX_DETAILS_CHARS:
            raise ValueError(f"audit details over {MAX_DETAILS_CHARS} characters")
        self.session.execute(
            _insert,
            {
                "workspace_id": self.workspace_id,
                "at": at,
                "actor_user_id": actor_user_id,
                "action": str(action),
                "ticket_id": ticket_id,
                "subject_user_id": subject_user_id,
                "details": details,
            },
        )


class AuditLog:
    """One workspace's audit log."""

    def __init__(self, db: Database, workspace_id: str) -> None:
        self.db = db
        self.workspace_id = workspace_id

    def record(
        self,
        actor_user_id: str,
        action: AuditAction,
        at: datetime,
        ticket_id: int | None = None,
        subject_user_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A row in a transaction of its own (for actions that change nothing else)."""
        with self.db.transaction() as session:
            AuditRecorder(session, self.workspace_id).record(
                actor_user_id, action, at, ticket_id, subject_user_id, details
            )

    def entries(
        self,
        *,
        ticket_id: int | None = None,
        user_id: str | None = None,
        action: AuditAction | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """The newest `limit` entries, newest first; only a ticket's, a person's (as actor or
        subject) or one action's when asked."""
        statement = select(_audit).where(_audit.c.workspace_id == self.workspace_id)
        if ticket_id is not None:
            statement = statement.where(_audit.c.ticket_id == ticket_id)
        if user_id is not None:
            statement = statement.where((_audit.c.actor_user_id == user_id) | (_audit.c.subject_user_id == user_id))
        if action is not None:
            statement = statement.where(_audit.c.action == str(action))
        statement = statement.order_by(_audit.c.at.desc(), _audit.c.id.desc()).limit(limit)
        with self.db.autocommit() as connection:
            return [
                AuditEntry(
                    id=row.id,
                    at=as_utc(row.at),
                    actor_user_id=row.actor_user_id,
                    action=row.action,
                    ticket_id=row.ticket_id,
                    subject_user_id=row.subject_user_id,
                    details=row.details,
                )
                for row in connection.execute(statement)
            ]
