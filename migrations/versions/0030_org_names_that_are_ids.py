"""Organisation names that are placeholders with the team ID are forgotten, and the queue by
organisation cuts by team.

Before this version a failed team.info (an error, a 5xx) stored "another organisation (T0123ABCD)"
as a Slack Connect customer's organisation name, and it stuck: the ticket message, its account
section and `/handoff-queue` showed it, and `org:` found the customer only by it. NULL is "not
known yet": the ticket board asks team.info again at the customer's next message (or the ticket
message's next update) and shows "another organisation" meanwhile; the account is the customer's
team either way. A real name is kept, even one that starts the same way: only the exact shape the
app stored ("another organisation (" + a team ID + ")") is forgotten.

`/handoff-queue org:<name>` now matches the name to the organisation's team and cuts the queue by
team (`ix_conversation_account`, migration 0011): `ix_conversation_org` (0019) is read by nothing
and dropped.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What slack.directory.external_org_name stored when team.info failed (its `unknown` and the team ID).
PLACEHOLDER = re.compile(r"another organisation \([A-Z0-9]+\)")


def upgrade() -> None:
    connection = op.get_bind()
    # LIKE finds the candidates on either database; the exact shape is checked here (SQLite has no
    # regular expressions), so an organisation really named "another organisation (…)" keeps it.
    candidates = connection.execute(
        sa.text("SELECT id, customer_org_name FROM conversation WHERE customer_org_name LIKE 'another organisation (%'")
    ).all()
    forgotten = [{"id": row.id} for row in candidates if PLACEHOLDER.fullmatch(row.customer_org_name)]
    if forgotten:
        connection.execute(sa.text("UPDATE conversation SET customer_org_name = NULL WHERE id = :id"), forgotten)
    op.drop_index("ix_conversation_org", table_name="conversation")


def downgrade() -> None:
    # The placeholders were never names: nothing to put back.
    op.create_index("ix_conversation_org", "conversation", ["customer_org_name"])
