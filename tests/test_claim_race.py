"""Twenty agents press Claim on the same waiting ticket at once: exactly one gets it.

Over HTTP (signed block_actions from 20 threads released together) and directly on the core, on
PostgreSQL (skipped without HANDOFF_TEST_POSTGRES_URL) and on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import ClaimResult, Customer, CustomerMessageAction
from handoff_slack.core.states import ConversationMode, TicketState
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.models import Conversation
from tests.conftest import CUSTOMER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import block_text, claim, escalate_by_typing, posted_to
from tests.support.migrated_template import from_migrated_template
from tests.support.waiting import wait_until

RACERS = 20


def racing_agents(fake: FakeSlack) -> list[str]:
    agents = [f"URACER{i:02d}" for i in range(RACERS)]
    for i, agent in enumerate(agents):
        fake.add_user(agent, name=f"racer{i}", real_name=f"Racer {i}", display_name=f"Racer {i}")
    fake.set_members(SUPPORT_CHANNEL, agents)
    return agents


def released_together(count: int, work):  # type: ignore[no-untyped-def]
    """Run work(i) for i in range(count) on `count` threads that start at the same moment."""
    barrier = threading.Barrier(count)

    def run(i: int):  # type: ignore[no-untyped-def]
        barrier.wait(timeout=10)
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_twenty_simultaneous_claims_over_http_have_one_winner(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    agents = racing_agents(fake_slack)
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)

    urls = released_together(RACERS, lambda i: claim(app, fake_slack, agents[i], ticket, name="race"))
    assert len(set(urls)) == RACERS

    def answers() -> list[Call]:
        return [c for c in fake_slack.calls() if c.method.startswith("response_url:race-")]

    # Every loser is answered and the winner's effects happen: then all 20 claims are decided.
    losers_answers = wait_until(lambda: len(answers()) >= RACERS - 1 and answers(), timeout=15, message="19 answers")
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are now talking with"))
    claimed = fake_slack.wait_for("chat.update", lambda c: "Claimed by" in block_text(c.params.get("blocks")))

    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    stored = found
    with app.helpdesk.db.transaction() as session:
        conversation = session.get(Conversation, stored.conversation_id)
    assert conversation is not None
    winner = stored.agent_user_id
    assert winner in agents
    assert stored.state == TicketState.CONNECTED and conversation.mode == ConversationMode.CONNECTED

    assert len(claimed) == 1 and f"Claimed by <@{winner}>" in block_text(claimed[0].params["blocks"])
    assert len(fake_slack.calls("chat.update")) == 1
    connected_notices = [
        c
        for c in fake_slack.calls("chat.postMessage", channel=f"D{CUSTOMER}")
        if "You are now talking with" in c.params["text"]
    ]
    assert len(connected_notices) == 1
    assert sorted(c.method for c in losers_answers) == sorted(f"response_url:race-{a}" for a in agents if a != winner)
    for answer in losers_answers:
        assert answer.params["text"] == f"Ticket {ticket.ticket_id} was already claimed by <@{winner}>."
        assert answer.params["response_type"] == "ephemeral"


@pytest.fixture
def helpdesk(database_url: str) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url, pool_size=RACERS)
    yield SqlHelpdesk(db)
    db.dispose()


def test_twenty_simultaneous_claims_in_the_core_have_one_winner(helpdesk: SqlHelpdesk) -> None:
    customer = Customer(user_id="URACECUST", door=FrontDoor("DRACECUST"))
    escalated = helpdesk.receive_customer_message(customer, "1700000000.000001", "I need a human please")
    assert escalated.action is CustomerMessageAction.ESCALATED
    ticket_id = escalated.ticket_id
    assert ticket_id is not None

    outcomes = released_together(RACERS, lambda i: helpdesk.claim(ticket_id, f"URACER{i:02d}", f"Racer {i}"))

    results = [o.result for o in outcomes]
    assert results.count(ClaimResult.CLAIMED) == 1
    assert results.count(ClaimResult.ALREADY_CLAIMED) == RACERS - 1
    winner = f"URACER{results.index(ClaimResult.CLAIMED):02d}"
    found = helpdesk.ticket(ticket_id)
    assert found is not None
    assert found.agent_user_id == winner and found.state == TicketState.CONNECTED
    assert all(o.ticket is not None and o.ticket.agent_user_id == winner for o in outcomes)
