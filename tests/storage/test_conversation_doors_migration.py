"""Migration 0009: conversations made by the one-per-customer schema carry over as DM doors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import IntegrityError

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason, TicketState
from handoff_slack.storage.database import Database, alembic_config, migrate
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.core.test_helpdesk import FakeClock, position

NOW = "2026-11-25 09:00:00"
TICKET_TS = "1700000000.000009"


@contextmanager
def connected(database_url: str) -> Iterator[Connection]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def old_conversations(
    database_url: str, waiting: str = "UJANE", with_bot: str = "UOMAR", support: str = "CSUPPORT"
) -> dict[str, int]:
    """The schema before 0009 with `waiting` waiting on a ticket (its message in `support`, their
    message in its thread) and `with_bot` with the bot, stored as that schema stored them (each in
    the DM "D" + their ID); their conversation IDs by user."""
    command.upgrade(alembic_config(database_url), "0008")
    with connected(database_url) as connection:
        for user, mode in ((waiting, ConversationMode.WAITING), (with_bot, ConversationMode.BOT)):
            connection.execute(
                text(
                    "INSERT INTO conversation (customer_user_id, customer_team_id, dm_channel_id, mode, "
                    "created_at, updated_at) VALUES (:user, 'TACME', :dm, :mode, :now, :now)"
                ),
                {"user": user, "dm": f"D{user}", "mode": mode.value, "now": NOW},
            )
        ids = {user: id_ for user, id_ in connection.execute(text("SELECT customer_user_id, id FROM conversation"))}
        connection.execute(
            text(
                "INSERT INTO ticket (conversation_id, state, reason, message_channel_id, message_ts, created_at) "
                "VALUES (:conversation, :state, :reason, :support, :ts, :now)"
            ),
            {
                "conversation": ids[waiting],
                "support": support,
                "state": TicketState.WAITING.value,
                "reason": EscalationReason.ASKED_FOR_HUMAN.value,
                "ts": TICKET_TS,
                "now": NOW,
            },
        )
        ticket = connection.execute(text("SELECT id FROM ticket")).scalar_one()
        connection.execute(
            text("UPDATE conversation SET active_ticket_id = :ticket WHERE id = :conversation"),
            {"ticket": ticket, "conversation": ids[waiting]},
        )
        connection.execute(
            text(
                "INSERT INTO message (conversation_id, ticket_id, direction, author_user_id, source_channel_id, "
                "source_ts, text, delivery_state, attempts, created_at) VALUES (:conversation, :ticket, "
                ":direction, :user, :dm, '1700000000.000001', 'I want a human', :state, 1, :now)"
            ),
            {
                "conversation": ids[waiting],
                "user": waiting,
                "dm": f"D{waiting}",
                "ticket": ticket,
                "direction": Direction.FROM_CUSTOMER.value,
                "state": DeliveryState.DELIVERED.value,
                "now": NOW,
            },
        )
    return ids


def doors(database_url: str) -> list[tuple[int, str, str, str | None, str]]:
    with connected(database_url) as connection:
        return [
            tuple(row)  # type: ignore[misc]
            for row in connection.execute(
                text("SELECT id, workspace_id, channel_id, thread_ts, customer_user_id FROM conversation ORDER BY id")
            )
        ]


def test_old_conversations_carry_over_as_dms_and_go_on_where_they_were(database_url: str) -> None:
    ids = old_conversations(database_url)
    migrate(database_url)
    jane, omar = ids["UJANE"], ids["UOMAR"]
    assert doors(database_url) == sorted([(jane, "", "DUJANE", None, "UJANE"), (omar, "", "DUOMAR", None, "UOMAR")])
    db = Database(database_url)
    try:
        desk = SqlHelpdesk(db, clock=FakeClock(), workspace_id="THOME")
        assert desk.record_workspace() == 2  # what the app does at start-up
        assert desk.record_workspace() == 0
        assert {row[1] for row in doors(database_url)} == {"THOME"}
        # Jane is still waiting on her ticket, in her DM; Omar is still with the bot.
        still = desk.receive_customer_message(Customer("UJANE", FrontDoor("DUJANE")), "1700000001.000001", "hello?")
        assert (still.action, still.conversation_id) == (CustomerMessageAction.WAITING, jane)
        assert still.ticket_id is not None and position(desk, still.ticket_id) == 1
        chat = desk.receive_customer_message(Customer("UOMAR", FrontDoor("DUOMAR")), "1700000001.000002", "hi")
        assert (chat.action, chat.conversation_id) == (CustomerMessageAction.BOT_REPLY, omar)
        # And a customer may now have more than one conversation: a thread of a shared channel.
        thread = desk.receive_customer_message(
            Customer("UJANE", FrontDoor("CSHARED", "1700000001.000003")), "1700000001.000003", "hi"
        )
        assert thread.conversation_id not in (jane, omar)
    finally:
        db.dispose()


def test_downgrade_restores_one_conversation_per_customer_while_only_dms_exist(database_url: str) -> None:
    ids = old_conversations(database_url)
    migrate(database_url)
    command.downgrade(alembic_config(database_url), "0008")
    with connected(database_url) as connection:
        rows = [
            tuple(row) for row in connection.execute(text("SELECT id, dm_channel_id FROM conversation ORDER BY id"))
        ]
    assert rows == sorted([(ids["UJANE"], "DUJANE"), (ids["UOMAR"], "DUOMAR")])
    with pytest.raises(IntegrityError), connected(database_url) as connection:  # one per customer again
        connection.execute(
            text(
                "INSERT INTO conversation (customer_user_id, dm_channel_id, mode, created_at, updated_at) "
                "VALUES ('UJANE', 'DOTHER', 'bot', :now, :now)"
            ),
            {"now": NOW},
        )
    migrate(database_url)  # and up again
    assert [row[0] for row in doors(database_url)] == sorted(ids.values())


def test_downgrade_refuses_to_lose_thread_conversations(database_url: str) -> None:
    old_conversations(database_url)
    migrate(database_url)
    db = Database(database_url)
    try:
        desk = SqlHelpdesk(db, clock=FakeClock())
        desk.receive_customer_message(Customer("UJANE", FrontDoor("CSHARED", "1700000002.000001")), "1.1", "hi")
    finally:
        db.dispose()
    with pytest.raises(RuntimeError, match="can't be undone"):
        command.downgrade(alembic_config(database_url), "0008")
    assert len(doors(database_url)) == 3  # nothing lost
