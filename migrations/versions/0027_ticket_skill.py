"""A ticket's skills as rows (ticket_skill), for `/handoff-queue`'s `skill:` and `mine` (EXISTS /
NOT EXISTS on both databases; a JSON column is not queried alike on SQLite and PostgreSQL), filled
from the tickets' JSON `skills`.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 11:20:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    table = op.create_table(
        "ticket_skill",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("skill", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "skill"),
    )
    op.create_index("ix_ticket_skill_skill", "ticket_skill", ["skill", "ticket_id"])
    bind = op.get_bind()
    tickets = sa.table("ticket", sa.column("id", sa.Integer()), sa.column("skills", sa.JSON()))
    rows = bind.execute(sa.select(tickets.c.id, tickets.c.skills).where(tickets.c.skills.is_not(None))).all()
    batch: list[dict[str, object]] = []
    for ticket_id, skills in rows:
        if isinstance(skills, str):  # a driver that hands JSON back as text
            skills = json.loads(skills)
        for skill in dict.fromkeys(skills or ()):
            batch.append({"ticket_id": ticket_id, "skill": str(skill)})
        if len(batch) >= BATCH:
            op.bulk_insert(table, batch)
            batch = []
    if batch:
        op.bulk_insert(table, batch)


def downgrade() -> None:
    op.drop_index("ix_ticket_skill_skill", table_name="ticket_skill")
    op.drop_table("ticket_skill")
