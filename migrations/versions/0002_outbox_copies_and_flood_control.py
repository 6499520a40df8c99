"""Outbox: copies to sync after edits and deletes, parts of long messages; flood-control notices.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:57:14.192083
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flood_notice_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dest_extra_ts", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        # Rows from before this revision have nothing to sync.
        batch_op.add_column(sa.Column("copy_stale", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_message_stale_copies", ["copy_stale", "conversation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_stale_copies")
        batch_op.drop_column("copy_stale")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("dest_extra_ts")

    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("flood_notice_at")
