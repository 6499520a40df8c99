"""Files shared with a message, and how many of them have been passed on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:34:07.753968
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("files", sa.JSON(), nullable=True))
        # Rows from before this revision have no files to pass on.
        batch_op.add_column(sa.Column("dest_files_done", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("dest_files_done")
        batch_op.drop_column("files")
