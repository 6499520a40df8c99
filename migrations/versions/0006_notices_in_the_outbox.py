"""The bot's notices go through the outbox; the ticket message is posted once and kept current.

A notice is a message row with no Slack source (direction to_customer / to_agents) and what to
say in `notice`. The ticket counts its message's posts (searched for before a repeat) and marks
the message stale until an update shows the ticket's state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.alter_column("author_user_id", existing_type=sa.String(32), nullable=True)
        batch_op.alter_column("source_channel_id", existing_type=sa.String(32), nullable=True)
        batch_op.alter_column("source_ts", existing_type=sa.String(32), nullable=True)
        batch_op.add_column(sa.Column("notice", sa.JSON(), nullable=True))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        # Tickets from before this revision were posted (or are repaired) as before: no earlier attempt.
        batch_op.add_column(sa.Column("message_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("message_stale", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_ticket_message_stale", ["message_stale"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_message_stale")
        batch_op.drop_column("message_stale")
        batch_op.drop_column("message_attempts")
    # Notices have no source: they cannot be kept in the old schema.
    op.execute("DELETE FROM message WHERE source_ts IS NULL")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("notice")
        batch_op.alter_column("source_ts", existing_type=sa.String(32), nullable=False)
        batch_op.alter_column("source_channel_id", existing_type=sa.String(32), nullable=False)
        batch_op.alter_column("author_user_id", existing_type=sa.String(32), nullable=False)
