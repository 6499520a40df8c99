"""Accounts: an index of conversations by customer team, for a ticket's account history.

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-19 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversation_account", "conversation", ["workspace_id", "customer_team_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_account", table_name="conversation")
