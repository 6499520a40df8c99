"""A conversation per front door: a DM or a thread of a shared channel, in a workspace.

The conversation was one per customer (`customer_user_id` unique, `dm_channel_id`). Now it is
identified by its door (core.front_doors): `workspace_id`, `channel_id` (the DM's channel for a
DM; renamed from `dm_channel_id`) and `thread_ts` (NULL for a DM). `customer_user_id` says who
started it and is no longer unique (indexed, for a customer's conversations).

Existing conversations are all DMs: each keeps its row, its ID (so its tickets, messages and
proposals stay with it) and its DM as its door. Their `workspace_id` is '' here (the migration
cannot ask Slack); the app records its team there when it next starts, before it serves anyone
(storage.conversations.record_workspace).

Downgrading refuses while a thread conversation, or a customer with several conversations,
exists: the old schema has no room for them, and they would be lost.

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DM_DOOR = "thread_ts IS NULL"
# 0001 created the one-per-customer constraint without a name: PostgreSQL named it itself, SQLite
# did not, so on SQLite the batch copy names it by this convention to drop it.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_POSTGRESQL_NAME = "conversation_customer_user_id_key"


def _one_per_customer(bind: sa.engine.Connection) -> str:
    for constraint in sa.inspect(bind).get_unique_constraints("conversation"):
        if constraint["column_names"] == ["customer_user_id"]:
            return constraint["name"] or "uq_conversation_customer_user_id"
    raise RuntimeError("migration 0009: the conversation table has no unique customer_user_id to drop")


def upgrade() -> None:
    old_unique = _one_per_customer(op.get_bind())
    with op.batch_alter_table("conversation", naming_convention=_NAMES) as batch_op:
        batch_op.drop_constraint(old_unique, type_="unique")
        batch_op.alter_column(
            "dm_channel_id", new_column_name="channel_id", existing_type=sa.String(32), existing_nullable=False
        )
        batch_op.add_column(sa.Column("workspace_id", sa.String(32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("thread_ts", sa.String(32), nullable=True))
    # A second batch: SQLite's copy of the table needs the default while it copies, and a constraint
    # on a column renamed in the same batch is lost there.
    with op.batch_alter_table("conversation") as batch_op:
        # The default only filled the existing rows: the app always says which workspace a row is of.
        batch_op.alter_column("workspace_id", server_default=None, existing_type=sa.String(32), existing_nullable=False)
        batch_op.create_unique_constraint("uq_conversation_thread", ["workspace_id", "channel_id", "thread_ts"])
    op.create_index(
        "uq_conversation_dm",
        "conversation",
        ["workspace_id", "channel_id"],
        unique=True,
        sqlite_where=sa.text(_DM_DOOR),
        postgresql_where=sa.text(_DM_DOOR),
    )
    op.create_index("ix_conversation_customer", "conversation", ["customer_user_id"])


def downgrade() -> None:
    bind = op.get_bind()
    no_room = bind.execute(
        sa.text(
            "SELECT count(*) FROM conversation WHERE thread_ts IS NOT NULL OR customer_user_id IN "
            "(SELECT customer_user_id FROM conversation GROUP BY customer_user_id HAVING count(*) > 1)"
        )
    ).scalar()
    if no_room:
        raise RuntimeError(
            f"migration 0009 can't be undone: {no_room} conversations are in shared-channel threads or belong "
            "to a customer with several conversations, and the older schema has one conversation per customer"
        )
    op.drop_index("ix_conversation_customer", table_name="conversation")
    op.drop_index("uq_conversation_dm", table_name="conversation")
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.drop_constraint("uq_conversation_thread", type_="unique")
        batch_op.drop_column("thread_ts")
        batch_op.drop_column("workspace_id")
        batch_op.alter_column(
            "channel_id", new_column_name="dm_channel_id", existing_type=sa.String(32), existing_nullable=False
        )
        batch_op.create_unique_constraint(_POSTGRESQL_NAME, ["customer_user_id"])
