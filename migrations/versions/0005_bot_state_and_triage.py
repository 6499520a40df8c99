"""The bot's per-conversation state, and triage answers and frustration score on tickets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bot_state", sa.JSON(), nullable=True))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("frustration_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("frustration_score")
        batch_op.drop_column("triage")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("bot_state")
