"""A relayed message's author as shown: name and avatar of a person other than the conversation's
customer (a colleague writing in a customer's thread of a shared channel).

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-14 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before this revision show the conversation's customer, as they did (NULL).
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_name", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("author_avatar_url", sa.String(1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("author_avatar_url")
        batch_op.drop_column("author_name")
