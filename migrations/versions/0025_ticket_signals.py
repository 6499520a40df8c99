"""Ticket signals: what fired the bot's unasked offer of a person, and the customer's mood since the hand-over.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both nullable: tickets from before this revision have no signals recorded.
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_signals", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("mood_signals", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("mood_signals")
        batch_op.drop_column("escalation_signals")
