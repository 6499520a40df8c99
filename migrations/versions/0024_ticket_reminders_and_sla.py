"""Reminders and first-response targets (core.reminders): when a ticket last entered the queue, the
reminder steps fired since, and its first response's outcome, target and wait.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLA_UNDECIDED = "sla_outcome IS NULL OR sla_outcome = 'breaching'"


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminder_steps", sa.SmallInteger(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column("sla_outcome", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("sla_target_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_waited_seconds", sa.Integer(), nullable=True))
    # Tickets that left the queue before this revision are not measured afterwards: only those still
    # waiting (or yet to wait: proposed, watched) are.
    op.execute("UPDATE ticket SET sla_outcome = 'none' WHERE state NOT IN ('waiting', 'proposed', 'watched')")
    op.create_index(
        "ix_ticket_sla_undecided",
        "ticket",
        ["state", "id"],
        sqlite_where=sa.text(SLA_UNDECIDED),
        postgresql_where=sa.text(SLA_UNDECIDED),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_sla_undecided", table_name="ticket")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("sla_waited_seconds")
        batch_op.drop_column("sla_target_minutes")
        batch_op.drop_column("sla_outcome")
        batch_op.drop_column("reminder_steps")
        batch_op.drop_column("waiting_since")
