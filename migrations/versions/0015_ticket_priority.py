"""Ticket priority: its level, why it has it and who set it, and the queue's index (priority, then age).

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-21 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tickets from before this revision are normal (1), as every ticket was.
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.SmallInteger(), nullable=False, server_default=sa.text("1")))
        batch_op.add_column(sa.Column("priority_source", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("priority_set_by", sa.String(32), nullable=True))
    op.create_index("ix_ticket_queue", "ticket", ["state", sa.text("priority DESC"), "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_queue", table_name="ticket")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("priority_set_by")
        batch_op.drop_column("priority_source")
        batch_op.drop_column("priority")
