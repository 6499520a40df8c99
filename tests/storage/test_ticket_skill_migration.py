"""Migration 0027: the skills of tickets stored before it (the JSON column) become ticket_skill
rows, which `/handoff-queue`'s `skill:` and `mine` read."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from handoff_slack.storage.database import alembic_config
from tests.storage.test_conversation_doors_migration import NOW, connected


def test_tickets_skills_from_before_become_rows_and_downgrade_drops_them(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0026")
    with connected(database_url) as connection:
        connection.execute(
            text(
                "INSERT INTO conversation (workspace_id, channel_id, customer_user_id, mode, created_at, "
                "updated_at) VALUES ('TACME', 'DUJANE', 'UJANE', 'waiting', :now, :now)"
            ),
            {"now": NOW},
        )
        conversation = connection.execute(text("SELECT id FROM conversation")).scalar_one()
        for skills in ('["billing", "hardware"]', None, "[]", '["billing", "billing"]'):
            connection.execute(
                text(
                    "INSERT INTO ticket (conversation_id, state, reason, created_at, skills) "
                    "VALUES (:conversation, 'closed', 'asked_for_human', :now, :skills)"
                ),
                {"conversation": conversation, "now": NOW, "skills": skills},
            )
        ids = [row[0] for row in connection.execute(text("SELECT id FROM ticket ORDER BY id"))]

    command.upgrade(alembic_config(database_url), "0027")

    with connected(database_url) as connection:
        rows = connection.execute(text("SELECT ticket_id, skill FROM ticket_skill ORDER BY ticket_id, skill")).all()
    assert [tuple(row) for row in rows] == [(ids[0], "billing"), (ids[0], "hardware"), (ids[3], "billing")]

    command.downgrade(alembic_config(database_url), "0026")
    with connected(database_url) as connection:
        assert connection.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 4
