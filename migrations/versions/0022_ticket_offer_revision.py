"""The ticket message shows the ticket's pending offers: a count of their changes on the ticket.

Each change of a ticket's offers (routing's offer made, answered, timed out or withdrawn; a transfer
offered, answered, lapsed or gone stale) adds one and marks the ticket message stale; the update
that shows the offers clears the mark only if the count is still the one it showed (as it does for
the state and the priority), so a change during an update is never lost: the scheduler's repair
shows it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_revision", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("offer_revision")
