"""Supervised mode: the proposal table, and a proposal's ticket counted as open.

A supervised scenario's answer waits for an agent's decision on a ticket in state `proposed`
(never in the queue); the `proposal` row records what was proposed, what was sent, and who decided
what and when. The one-open-ticket-per-conversation index now counts `proposed` tickets too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-20 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_BEFORE = "state IN ('waiting', 'connected')"
_OPEN_NOW = "state IN ('waiting', 'connected', 'proposed')"


def _open_ticket_index(where: str) -> None:
    op.create_index(
        "uq_ticket_open_per_conversation",
        "ticket",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("uq_ticket_open_per_conversation", table_name="ticket")
    _open_ticket_index(_OPEN_NOW)
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("scenario_title", sa.String(length=255), nullable=False),
        sa.Column("proposed_text", sa.Text(), nullable=False),
        sa.Column("sent_text", sa.Text(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("diagnosis", sa.JSON(), nullable=True),
        sa.Column("cause_id", sa.String(length=64), nullable=True),
        sa.Column("cause_score", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("decided_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_proposal_outcome_expires", ["outcome", "expires_at"], unique=False)
        batch_op.create_index("ix_proposal_scenario_outcome", ["scenario_id", "outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_scenario_outcome")
        batch_op.drop_index("ix_proposal_outcome_expires")
        batch_op.drop_index(batch_op.f("ix_proposal_conversation_id"))
    op.drop_table("proposal")
    # The old schema knows neither state: a pending proposal ends as cancelled, an answered one as closed.
    op.execute("UPDATE ticket SET state = 'cancelled' WHERE state = 'proposed'")
    op.execute("UPDATE ticket SET state = 'closed' WHERE state = 'answered'")
    op.execute("UPDATE conversation SET mode = 'bot', active_ticket_id = NULL WHERE mode = 'supervised'")
    op.drop_index("uq_ticket_open_per_conversation", table_name="ticket")
    _open_ticket_index(_OPEN_BEFORE)
