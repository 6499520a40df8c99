"""The tables of routing (core.routing): offers of waiting tickets to agents, the round-robin
pointer, tickets whose offers ended (left open to anyone's Claim), and tickets' rounds (released
tickets offered afresh; filters dropped).

Registered on SQLModel's metadata with the others (storage.models imports this module).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, String, Table, text
from sqlmodel import Field, SQLModel


def _timestamp(nullable: bool = False) -> Column[Any]:
    return Column(DateTime(timezone=True), nullable=nullable)


PENDING_OFFER = "outcome = 'pending'"


class TicketOfferRow(SQLModel, table=True):
    """A waiting ticket offered to one agent by DM, and what became of it (core.routing.OfferOutcome)."""

    __tablename__ = "ticket_offer"
    __table_args__ = (
        # One offer awaiting an answer per ticket, whatever the replicas race.
        Index(
            "uq_ticket_offer_pending",
            "ticket_id",
            unique=True,
            sqlite_where=text(PENDING_OFFER),
            postgresql_where=text(PENDING_OFFER),
        ),
        Index("ix_ticket_offer_ticket", "ticket_id", "agent_user_id"),
        # The timeout job: pending offers by when they expire.
        Index("ix_ticket_offer_outcome_expires", "outcome", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(sa_type=String(32))
    ticket_id: int = Field(foreign_key="ticket.id")
    agent_user_id: str = Field(sa_type=String(32))
    offered_at: datetime = Field(sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())
    answered_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    outcome: str = Field(default="pending", sa_type=String(16))
    # The offer's DM, once posted (its buttons are replaced when the offer ends).
    dm_channel_id: str | None = Field(default=None, sa_type=String(32))
    dm_ts: str | None = Field(default=None, sa_type=String(32))


class RoutingPointerRow(SQLModel, table=True):
    """Round robin's place: the last agent offered a ticket, per workspace (shared by replicas)."""

    __tablename__ = "routing_pointer"

    workspace_id: str = Field(sa_type=String(32), primary_key=True)
    last_user_id: str | None = Field(default=None, sa_type=String(32))
    updated_at: datetime = Field(sa_column=_timestamp())


class RoutingEndedRow(SQLModel, table=True):
    """A ticket no longer offered to anyone (core.routing.RoundEnd): open to anyone's Claim."""

    __tablename__ = "routing_ended"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    reason: str = Field(sa_type=String(16))
    ended_at: datetime = Field(sa_column=_timestamp())


class RoutingRoundRow(SQLModel, table=True):
    """A ticket's current round of offers when it is not the one its creation began (released back to
    the queue: offered afresh from then), and when its filters were dropped (core.eligibility: no
    eligible agent took it in time, so everyone available is offered it). No row: the round began
    when the ticket was created, with its filters."""

    __tablename__ = "routing_round"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    started_at: datetime = Field(sa_column=_timestamp())
    filters_dropped_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class TicketSkillRow(SQLModel, table=True):
    """One skill a ticket needs: the ticket's `skills` (JSON, as routing reads them) as rows, written
    with them, so `/handoff-queue`'s `skill:` and `mine` cut the queue with EXISTS / NOT EXISTS on
    both databases (storage.queue_topics)."""

    __tablename__ = "ticket_skill"
    __table_args__ = (Index("ix_ticket_skill_skill", "skill", "ticket_id"),)

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    skill: str = Field(sa_type=String(32), primary_key=True)


ticket_skill_table: Table = SQLModel.metadata.tables[TicketSkillRow.__tablename__]
