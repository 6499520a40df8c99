"""A served channel's own greeting and triage switch (`/handoff-channel greeting|triage`).

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-13 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL in both: the bot's YAML decides, as for every channel served before this revision.
    with op.batch_alter_table("served_channel") as batch:
        batch.add_column(sa.Column("greeting", sa.Text(), nullable=True))
        batch.add_column(sa.Column("triage", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("served_channel") as batch:
        batch.drop_column("triage")
        batch.drop_column("greeting")
