"""Waiting timers (issue 19): the waiting timeout's offers and the "answer later" mark, the queue
place a customer was last told, and an idle conversation's warning and snooze (`waiting_since`,
when the ticket last entered the queue, came with the reminders in 0024).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("kept_waiting_at", sa.DateTime(timezone=True)),
    ("async_at", sa.DateTime(timezone=True)),
    ("position_told", sa.Integer()),
    ("position_told_at", sa.DateTime(timezone=True)),
    ("idle_warned_at", sa.DateTime(timezone=True)),
    ("idle_snoozed_until", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # Tickets of before this revision: none offered yet (0), nothing told, nothing warned (NULL).
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_offers", sa.SmallInteger(), nullable=False, server_default="0"))
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name, _kind in reversed(_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("wait_offers")
