"""Watch and take over: a watch is a ticket in state `watched` (at most one per conversation), with
who started it and whether its thread was told that replies there are not relayed.

Revision ID: 0008
Revises: 0006 (re-chained onto 0007 when the supervised proposals are merged)
Create Date: 2026-12-20 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("watched_by_user_id", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("watch_reply_noted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(
        "uq_ticket_watch_per_conversation",
        "ticket",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("state = 'watched'"),
        postgresql_where=sa.text("state = 'watched'"),
    )


def downgrade() -> None:
    op.drop_index("uq_ticket_watch_per_conversation", table_name="ticket")
    # Watches have no meaning in the old schema: they end (their messages stay, as bot-mode chat).
    op.execute("UPDATE ticket SET state = 'cancelled' WHERE state IN ('watched', 'watch_ended')")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("watch_reply_noted")
        batch_op.drop_column("watched_by_user_id")
