"""Routing's offers on the database (SQLite and PostgreSQL): routing passes of several replicas at
once make one offer per ticket and never more than an agent's room; of an accept and a decline of
one offer, or of two agents' accepts, exactly one wins; an agent's accepts stop at capacity."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from handoff_slack.core.agent_profiles import AgentProfile, Availability, ProfileChange
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.core.priority import Priority
from handoff_slack.core.routing import OfferOutcome, RoutingConfig, Strategy
from handoff_slack.core.routing_desk import AnswerResult
from handoff_slack.core.states import TicketState
from handoff_slack.storage.agent_profiles import AgentProfiles
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.support.migrated_template import from_migrated_template

AGENTS = ["UA", "UB", "UC"]


@pytest.fixture
def desk(database_url: str) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url, pool_size=8)
    helpdesk = SqlHelpdesk(db, workspace_id="T1")
    helpdesk.routing = RoutingConfig(Strategy.ROUND_ROBIN)
    yield helpdesk
    db.dispose()


def together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=10)
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def waiting(desk: SqlHelpdesk, n: int) -> int:
    customer = Customer(user_id=f"UCUST{n}", door=FrontDoor(f"DCUST{n}"), team_id="T1")
    outcome = desk.receive_customer_message(customer, f"1700000000.{n:06d}", "I need a human please")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.ticket_id is not None
    return outcome.ticket_id


def on(desk: SqlHelpdesk, *agents: str, capacity: int | None = None) -> dict[str, AgentProfile]:
    """The agents say they are available (stored, as /handoff-status does); their profiles."""
    profiles = AgentProfiles(desk.db, desk.workspace_id)
    for agent in agents:
        profiles.change(agent, ProfileChange(Availability.AVAILABLE, capacity), agent, desk.clock())
    return profiles.profiles()


def test_routing_passes_at_once_offer_each_ticket_once_within_capacity(desk: SqlHelpdesk) -> None:
    tickets = [waiting(desk, n) for n in range(5)]
    profiles = on(desk, *AGENTS, capacity=1)

    passes = together(4, lambda _i: desk.route_waiting(AGENTS, profiles, 3))

    offered = [offer for done in passes for offer in done.offered]
    assert sorted(o.ticket_id for o in offered) == tickets[:3]  # three agents, room for one each
    assert sorted(o.agent_user_id for o in offered) == AGENTS


def test_offers_follow_the_queue_order_an_urgent_ticket_first(desk: SqlHelpdesk) -> None:
    older, newer = waiting(desk, 1), waiting(desk, 2)
    desk.set_priority(newer, Priority.URGENT, "UADMIN")
    profiles = on(desk, AGENTS[0], capacity=1)

    (offer,) = desk.route_waiting(AGENTS[:1], profiles, 3).offered

    assert (offer.ticket_id, offer.agent_user_id) == (newer, AGENTS[0])  # not the older, normal one
    assert older != newer


def test_an_accept_and_a_decline_of_one_offer_at_once_have_one_winner(desk: SqlHelpdesk) -> None:
    ticket_id = waiting(desk, 1)
    (offer,) = desk.route_waiting(["UA"], on(desk, "UA"), 3).offered

    accepted, declined = together(
        2, lambda i: desk.accept_offer(offer.id, "UA", 3) if i == 0 else desk.decline_offer(offer.id, "UA")
    )

    results = {accepted.result, declined.result}
    assert results in ({AnswerResult.ACCEPTED, AnswerResult.MOVED_ON}, {AnswerResult.DECLINED, AnswerResult.MOVED_ON})
    ticket = desk.ticket(ticket_id)
    stored = desk.offer(offer.id)
    assert ticket is not None and stored is not None
    if AnswerResult.ACCEPTED in results:
        assert ticket.state is TicketState.CONNECTED and stored.outcome is OfferOutcome.ACCEPTED
    else:
        assert ticket.state is TicketState.WAITING and stored.outcome is OfferOutcome.DECLINED


def test_an_accept_and_a_claim_at_once_have_one_winner(desk: SqlHelpdesk) -> None:
    ticket_id = waiting(desk, 1)
    (offer,) = desk.route_waiting(["UA"], on(desk, "UA"), 3).offered

    accepted, claimed = together(
        2, lambda i: desk.accept_offer(offer.id, "UA", 3) if i == 0 else desk.claim(ticket_id, "UB")
    )

    ticket = desk.ticket(ticket_id)
    assert ticket is not None and ticket.state is TicketState.CONNECTED
    if ticket.agent_user_id == "UA":
        assert accepted.result is AnswerResult.ACCEPTED and claimed.result.value == "already_claimed"
    else:
        assert accepted.result is AnswerResult.TAKEN and accepted.owner_user_id == "UB"


def test_accepts_stop_at_the_agents_capacity(desk: SqlHelpdesk) -> None:
    waiting(desk, 1)
    waiting(desk, 2)
    offers = desk.route_waiting(["UA"], on(desk, "UA", capacity=2), 3).offered
    assert len(offers) == 2
    desk.claim(waiting(desk, 3), "UA")  # a third conversation by the button: UA is now at 1 of 2

    answers = together(2, lambda i: desk.accept_offer(offers[i].id, "UA", 3))

    assert sorted(a.result for a in answers) == sorted([AnswerResult.ACCEPTED, AnswerResult.FULL])
