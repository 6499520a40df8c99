"""Routing's idle times: each agent's latest claim by an index look-up (storage.offers.last_taken).

Without it, least busy's tie-break read every ticket an agent ever had, in each routing decision.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_agent_claimed", "ticket", ["agent_user_id", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_agent_claimed", table_name="ticket")
