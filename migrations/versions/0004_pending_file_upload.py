"""The upload started for a message's next file, so a retry can ask Slack whether it was shared.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 07:55:31.851863
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dest_file_pending_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("dest_file_pending_id")
