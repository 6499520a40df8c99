"""The tables of the agents' side: profiles (availability, capacity, languages, skills) and the audit log.

Registered on SQLModel's metadata with the others (storage.models imports this module).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String
from sqlmodel import Field, SQLModel


def _timestamp() -> Column[Any]:
    return Column(DateTime(timezone=True), nullable=False)


class AgentProfileRow(SQLModel, table=True):
    """One agent's profile in one workspace (the installing team, as on conversations)."""

    __tablename__ = "agent_profile"

    workspace_id: str = Field(sa_type=String(32), primary_key=True)
    user_id: str = Field(sa_type=String(32), primary_key=True)
    availability: str = Field(sa_type=String(16))  # core.agent_profiles.Availability
    capacity: int | None = Field(default=None)  # None: HANDOFF_AGENT_CAPACITY
    languages: list[str] = Field(sa_column=Column(JSON, nullable=False))  # codes like "de", "pt-BR"
    skills: list[str] = Field(sa_column=Column(JSON, nullable=False))  # lower-case tags
    updated_at: datetime = Field(sa_column=_timestamp())
    updated_by_user_id: str = Field(sa_type=String(32))


class AuditLogRow(SQLModel, table=True):
    """Who did what (core.audit.AuditAction), to which ticket, when; details as a small JSON object."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_workspace_at", "workspace_id", "at"),
        Index("ix_audit_log_ticket", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(sa_type=String(32))
    at: datetime = Field(sa_column=_timestamp())
    actor_user_id: str = Field(sa_type=String(32))
    action: str = Field(sa_type=String(32))
    # No foreign key: the log outlives what it is about, and is written in the action's transaction.
    ticket_id: int | None = Field(default=None)
    subject_user_id: str | None = Field(default=None, sa_type=String(32))
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
