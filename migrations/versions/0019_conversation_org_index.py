"""`/handoff-queue org:<name>`: an index on the conversations' organisation names, so a page of one
organisation's waiting tickets starts from that organisation's conversations (storage.queue_pages;
without it PostgreSQL read every conversation and every ticket for each page: EXPLAIN in README,
Performance).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversation_org", "conversation", ["customer_org_name"])


def downgrade() -> None:
    op.drop_index("ix_conversation_org", table_name="conversation")
