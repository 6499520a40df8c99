"""Migration 0030: an organisation name stored as the placeholder with the team ID (a failed
team.info, before the fix) is forgotten, so the ticket board asks again; real names stay, also one
that merely starts the same way. `ix_conversation_org` goes (the queue cuts by team), and comes
back on a downgrade."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from handoff_slack.storage.database import alembic_config
from tests.storage.test_conversation_doors_migration import NOW, connected

ORGS = (
    ("DUERIN", "UERIN", "TACME", "another organisation (TACME)"),  # the placeholder: forgotten
    ("DUOMAR", "UOMAR", "TGLOBEX", "Globex"),
    ("DUPAT", "UPAT", "TODD", "another organisation (the odd one)"),  # a real name, if an odd one
    ("DUHOME", "UHOME", "THOME", None),  # a customer of the installing team: none
    ("DUIDA", "UIDA", "TINITECH", "another organisation (E0ENTERPRISE)"),  # another team's ID: forgotten too
)


def conversation_indexes(database_url: str) -> set[str]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return {str(index["name"]) for index in inspect(engine).get_indexes("conversation")}
    finally:
        engine.dispose()


def test_org_names_that_are_placeholders_are_forgotten_and_real_names_kept(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0029")
    with connected(database_url) as connection:
        for channel, user, team, org in ORGS:
            connection.execute(
                text(
                    "INSERT INTO conversation (workspace_id, channel_id, customer_user_id, customer_team_id, "
                    "customer_name, customer_org_name, mode, created_at, updated_at) "
                    "VALUES ('THOME', :channel, :user, :team, 'Someone', :org, 'waiting', :now, :now)"
                ),
                {"channel": channel, "user": user, "team": team, "org": org, "now": NOW},
            )
    assert "ix_conversation_org" in conversation_indexes(database_url)

    command.upgrade(alembic_config(database_url), "0030")

    with connected(database_url) as connection:
        rows = connection.execute(text("SELECT customer_team_id, customer_org_name FROM conversation ORDER BY id"))
        orgs = [tuple(row) for row in rows]
    assert orgs == [
        ("TACME", None),
        ("TGLOBEX", "Globex"),
        ("TODD", "another organisation (the odd one)"),
        ("THOME", None),
        ("TINITECH", None),
    ]
    indexes = conversation_indexes(database_url)
    assert "ix_conversation_org" not in indexes and "ix_conversation_account" in indexes

    command.downgrade(alembic_config(database_url), "0029")
    assert "ix_conversation_org" in conversation_indexes(database_url)
