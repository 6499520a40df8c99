"""Served shared channels: the channels an admin turned on with `/handoff-channel on`, per workspace.

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-12 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "served_channel",
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("turned_on_by_user_id", sa.String(32), nullable=False),
        sa.Column("turned_on_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "channel_id"),
    )


def downgrade() -> None:
    # Thread conversations stay (0009's downgrade refuses while they exist); only the switch goes.
    op.drop_table("served_channel")
