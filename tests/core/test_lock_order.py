"""Agents' decisions lock a conversation before its ticket, as the customer's own steps do.

On PostgreSQL a claim that locked the ticket first (its UPDATE) and then waited for the conversation,
while a customer's "never mind" held the conversation and waited for the ticket, would be a
deadlock: PostgreSQL would abort one of them after a second, and Slack would see a 500. These tests
hold the conversation's row lock from outside and check that the waiting claim (or close) has not
taken the ticket's yet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import ClaimResult, CloseResult, Customer, CustomerMessageAction
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.support.migrated_template import from_migrated_template
from tests.support.waiting import wait_until

JANE = Customer(user_id="UJANE", door=FrontDoor("DJANE"), team_id="T1")


@pytest.fixture
def desk_and_engine(postgres_database_url: str) -> Iterator[tuple[SqlHelpdesk, Engine]]:
    from_migrated_template(postgres_database_url)
    db = Database(postgres_database_url)
    outside = create_engine(postgres_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield SqlHelpdesk(db, note_prefix="note:"), outside
    outside.dispose()
    db.dispose()


def waiting_ticket(desk: SqlHelpdesk) -> tuple[int, int]:
    outcome = desk.receive_customer_message(JANE, "1700000000.000001", "I want a human")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.ticket_id is not None
    desk.attach_ticket_message(outcome.ticket_id, "CSUPPORT", "1700000000.000002")
    ticket = desk.ticket(outcome.ticket_id)
    assert ticket is not None
    return outcome.ticket_id, ticket.conversation_id


def lock_waiters(engine: Engine) -> int:
    """Sessions of this database waiting for a row lock."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def ticket_is_free(engine: Engine, ticket_id: int) -> bool:
    """Whether another transaction can lock the ticket's row right now."""
    with engine.connect() as connection:
        try:
            connection.execute(text("SELECT id FROM ticket WHERE id = :id FOR UPDATE NOWAIT"), {"id": ticket_id})
        except OperationalError:  # psycopg's LockNotAvailable
            return False
        finally:
            connection.rollback()
    return True


def while_the_conversation_is_held(
    engine: Engine, conversation_id: int, ticket_id: int, decide: Callable[[], Any]
) -> tuple[bool, Any]:
    """Run `decide` in a thread while the conversation's row is locked from outside (as a customer's
    step locks it); returns whether the ticket was free while `decide` waited, and its result."""
    results: list[Any] = []
    with engine.connect() as holder:
        holder.execute(text("SELECT id FROM conversation WHERE id = :id FOR NO KEY UPDATE"), {"id": conversation_id})
        worker = threading.Thread(target=lambda: results.append(decide()))
        worker.start()
        wait_until(lambda: lock_waiters(engine) >= 1, message="the decision to wait for the conversation")
        free = ticket_is_free(engine, ticket_id)
        holder.rollback()
    worker.join(30)
    assert not worker.is_alive() and results
    return free, results[0]


@pytest.mark.postgres
def test_a_claim_waits_for_the_conversation_before_locking_the_ticket(
    desk_and_engine: tuple[SqlHelpdesk, Engine],
) -> None:
    desk, engine = desk_and_engine
    ticket_id, conversation_id = waiting_ticket(desk)

    free, outcome = while_the_conversation_is_held(
        engine, conversation_id, ticket_id, lambda: desk.claim(ticket_id, "UALICE")
    )

    assert free, "the claim held the ticket while waiting for the conversation: lock order reversed"
    assert outcome.result is ClaimResult.CLAIMED


@pytest.mark.postgres
def test_a_close_waits_for_the_conversation_before_locking_the_ticket(
    desk_and_engine: tuple[SqlHelpdesk, Engine],
) -> None:
    desk, engine = desk_and_engine
    ticket_id, conversation_id = waiting_ticket(desk)
    assert desk.claim(ticket_id, "UALICE").result is ClaimResult.CLAIMED

    free, outcome = while_the_conversation_is_held(
        engine, conversation_id, ticket_id, lambda: desk.close(ticket_id, "UALICE", is_admin=False)
    )

    assert free, "the close held the ticket while waiting for the conversation: lock order reversed"
    assert outcome.result is CloseResult.CLOSED
