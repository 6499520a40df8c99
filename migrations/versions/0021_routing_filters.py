"""Routing filters: a ticket's language, skills and customer's UTC offset; its routing round (a
released ticket is offered afresh; filters dropped after the wait for an eligible agent).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CUSTOMER_UNKNOWN = sa.text("state = 'waiting' AND NOT customer_looked_up")


def upgrade() -> None:
    # Tickets from before this revision need no language or skills (any agent), as before.
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("skills", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("customer_utc_offset", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("customer_looked_up", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(
        "ix_ticket_customer_unknown",
        "ticket",
        ["id"],
        sqlite_where=CUSTOMER_UNKNOWN,
        postgresql_where=CUSTOMER_UNKNOWN,
    )
    op.create_table(
        "routing_round",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filters_dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id"),
    )


def downgrade() -> None:
    op.drop_table("routing_round")
    op.drop_index("ix_ticket_customer_unknown", table_name="ticket")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("customer_looked_up")
        batch_op.drop_column("customer_utc_offset")
        batch_op.drop_column("skills")
        batch_op.drop_column("language")
