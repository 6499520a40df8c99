"""Migration 0029: a name stored as the person's user ID (a failed users.info, before the fix) is
forgotten, so the ticket board looks the customer up again; real names stay."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from handoff_slack.storage.database import alembic_config
from tests.storage.test_conversation_doors_migration import NOW, connected


def test_names_that_are_user_ids_are_forgotten_and_real_names_kept(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0028")
    with connected(database_url) as connection:
        for channel, user, name in (("DUJANE", "UJANE", "UJANE"), ("DUOMAR", "UOMAR", "Omar")):
            connection.execute(
                text(
                    "INSERT INTO conversation (workspace_id, channel_id, customer_user_id, customer_name, mode, "
                    "created_at, updated_at) VALUES ('TACME', :channel, :user, :name, 'connected', :now, :now)"
                ),
                {"channel": channel, "user": user, "name": name, "now": NOW},
            )
        conversations = [row[0] for row in connection.execute(text("SELECT id FROM conversation ORDER BY id"))]
        for conversation, agent_name in zip(conversations, ("UALICE", "Alice"), strict=True):
            connection.execute(
                text(
                    "INSERT INTO ticket (conversation_id, state, reason, created_at, agent_user_id, agent_name) "
                    "VALUES (:conversation, 'connected', 'asked_for_human', :now, 'UALICE', :agent_name)"
                ),
                {"conversation": conversation, "now": NOW, "agent_name": agent_name},
            )
        tickets = [row[0] for row in connection.execute(text("SELECT id FROM ticket ORDER BY id"))]
        for ticket, agent_name in zip(tickets, ("UALICE", "Alice"), strict=True):
            connection.execute(
                text(
                    "INSERT INTO ticket_owner (ticket_id, agent_user_id, agent_name, began_how) "
                    "VALUES (:ticket, 'UALICE', :agent_name, 'claim')"
                ),
                {"ticket": ticket, "agent_name": agent_name},
            )

    command.upgrade(alembic_config(database_url), "0029")

    with connected(database_url) as connection:
        customers = connection.execute(text("SELECT customer_name FROM conversation ORDER BY id")).scalars().all()
        agents = connection.execute(text("SELECT agent_name FROM ticket ORDER BY id")).scalars().all()
        owners = connection.execute(text("SELECT agent_name FROM ticket_owner ORDER BY ticket_id")).scalars().all()
    assert (customers, agents, owners) == ([None, "Omar"], [None, "Alice"], [None, "Alice"])
