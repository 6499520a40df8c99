"""Names that are user IDs are forgotten: before this version a failed users.info (an error, a 5xx)
stored the person's user ID as their name, and it stuck (a ticket message and `/handoff-queue`
showed "U0123ABCD" as the customer's name; an agent's relayed messages carried it as the sender).
NULL is "not known yet": the ticket board looks the customer up again at the ticket message's next
update (or their next message) and shows their mention meanwhile; an agent's name is set again at
their next claim.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, name column, the user ID column it must not equal)
NAMES = (
    ("conversation", "customer_name", "customer_user_id"),
    ("ticket", "agent_name", "agent_user_id"),
    ("ticket_owner", "agent_name", "agent_user_id"),
)


def upgrade() -> None:
    for table, name, user_id in NAMES:
        op.execute(f"UPDATE {table} SET {name} = NULL WHERE {name} = {user_id}")


def downgrade() -> None:
    pass  # the IDs were never names: nothing to put back
