"""Routing: offers of waiting tickets to agents, the round-robin pointer, tickets whose offers ended.

Revision ID: 0017
Revises: 0016
Create Date: 2027-01-21 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("outcome = 'pending'")


def upgrade() -> None:
    op.create_table(
        "ticket_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("agent_user_id", sa.String(32), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("dm_channel_id", sa.String(32), nullable=True),
        sa.Column("dm_ts", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_ticket_offer_pending",
        "ticket_offer",
        ["ticket_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_ticket_offer_ticket", "ticket_offer", ["ticket_id", "agent_user_id"])
    op.create_index("ix_ticket_offer_outcome_expires", "ticket_offer", ["outcome", "expires_at"])
    op.create_table(
        "routing_pointer",
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("last_user_id", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.create_table(
        "routing_ended",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )


def downgrade() -> None:
    op.drop_table("routing_ended")
    op.drop_table("routing_pointer")
    op.drop_index("ix_ticket_offer_outcome_expires", table_name="ticket_offer")
    op.drop_index("ix_ticket_offer_ticket", table_name="ticket_offer")
    op.drop_index("uq_ticket_offer_pending", table_name="ticket_offer")
    op.drop_table("ticket_offer")
