"""Agents' profiles (availability, capacity, languages, skills) per workspace, and the audit log.

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-20 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_profile",
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("subject_user_id", sa.String(32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_workspace_at", "audit_log", ["workspace_id", "at"])
    op.create_index("ix_audit_log_ticket", "audit_log", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_ticket", table_name="audit_log")
    op.drop_index("ix_audit_log_workspace_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("agent_profile")
