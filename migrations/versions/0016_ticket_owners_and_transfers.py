"""Transfer and release: a ticket's history of owners, and offers of a ticket to another agent.

Revision ID: 0016
Revises: 0015
Create Date: 2027-01-20 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tickets claimed before this revision have no rows: their claim's period is written when it ends.
    op.create_table(
        "ticket_owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_user_id", sa.String(32), nullable=False),
        sa.Column("agent_name", sa.String(255), nullable=True),
        sa.Column("began_how", sa.String(16), nullable=False),
        sa.Column("began_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_how", sa.String(16), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_user_id", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_owner_ticket", "ticket_owner", ["ticket_id", "id"], unique=False)
    op.create_table(
        "transfer_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.String(32), nullable=False),
        sa.Column("to_user_id", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_transfer_offer_ticket", "transfer_offer", ["ticket_id", "state"], unique=False)
    op.create_index("ix_transfer_offer_state_created", "transfer_offer", ["state", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_transfer_offer_state_created", table_name="transfer_offer")
    op.drop_index("ix_transfer_offer_ticket", table_name="transfer_offer")
    op.drop_table("transfer_offer")
    op.drop_index("ix_ticket_owner_ticket", table_name="ticket_owner")
    op.drop_table("ticket_owner")
