"""The queue's index in its order again on SQLite: priority descending, then ID.

0026 rebuilt the ticket table on SQLite (Alembic's batch mode copies a table to alter it), and the
copy recreated `ix_ticket_queue` from the reflected table without 0015's DESC: a read of the queue's
head (`ORDER BY priority DESC, id`) then sorted every waiting ticket of the top priority in a
temporary B-tree (about 14 ms with 10,000 waiting) instead of reading 50 index entries. PostgreSQL's
index kept its order (it is altered in place), so only SQLite's is rebuilt.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 11:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_ticket_queue", table_name="ticket")
    op.create_index("ix_ticket_queue", "ticket", ["state", sa.text("priority DESC"), "id"])


def downgrade() -> None:
    pass  # the index in its intended order serves the older revisions as well
