"""One routing pass's decisions, made in memory from one read (no SQL, no Slack): which waiting
ticket is offered to whom, whose filters are dropped, whose round ends.

The pass reads the waiting tickets of the queue's head (their needs, rounds and tried agents) and the
agents (profiles, loads, idle times) and the round-robin pointer once; `plan` then walks the tickets
in queue order as `RoutingDesk` decided them one transaction at a time before: each ticket goes to
the agent the strategy picks among the eligible ones with room, and that agent's load (and the
pointer) count the offer for the tickets after it. So a free agent who suits no ticket of the head
is offered the oldest one further down they suit (the pass pages on), and only the tickets with
something to store cost a transaction (storage re-checks each step under the pointer's lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from handoff_slack.core.eligibility import eligibility
from handoff_slack.core.routing import Candidate, RoundEnd, RoutingConfig, choose
from handoff_slack.core.routing_storage import WaitingTicket


class StepKind(StrEnum):
    OFFER = "offer"  # offer the ticket to `agent` (filters kept, or dropped before)
    DROP_FILTERS = "drop_filters"  # nobody eligible took it in time: everyone available (then `agent`)
    END_ROUND = "end_round"  # nobody is left to offer it, or nobody could for too long


@dataclass(frozen=True)
class Step:
    kind: StepKind
    ticket: WaitingTicket
    agent: str | None = None  # OFFER, and DROP_FILTERS when someone available has room
    reason: RoundEnd | None = None  # END_ROUND's


@dataclass
class PassState:
    """What a pass knows of the agents as it goes: their loads count the offers it planned."""

    agents: dict[str, Candidate]
    pointer: str | None

    @classmethod
    def of(cls, agents: Iterable[Candidate], pointer: str | None) -> PassState:
        return cls({agent.user_id: agent for agent in agents}, pointer)

    def offered(self, user_id: str) -> None:
        agent = self.agents[user_id]
        self.agents[user_id] = replace(agent, load=agent.load + 1)
        self.pointer = user_id

    @property
    def anyone_free(self) -> bool:
        return any(agent.available and agent.has_room for agent in self.agents.values())


@dataclass(frozen=True)
class PagePlan:
    steps: list[Step] = field(default_factory=list)
    stopped: bool = False  # a ticket nobody at all can be offered yet: the later ones would find nobody


def plan(config: RoutingConfig, tickets: Sequence[WaitingTicket], state: PassState, now: datetime) -> PagePlan:
    """The steps for `tickets` (a page of the queue, in its order); `state` moves with the offers."""
    steps: list[Step] = []
    filters = config.filters
    for ticket in tickets:
        current = ticket.round
        free = [
            agent
            for agent in state.agents.values()
            if agent.available and agent.has_room and agent.user_id not in ticket.tried
        ]
        pool = free
        dropping = False
        if not current.filters_dropped:
            pool = [agent for agent in free if eligibility(current.needs, agent, filters.time_zone_hours).eligible]
            if free and not pool:  # someone could take it, but nobody eligible: wait, then everyone
                if current.started_at + timedelta(seconds=filters.fallback_after_seconds) > now:
                    continue  # a later ticket may have eligible agents
                dropping, pool = True, free
        chosen = choose(config.strategy, pool, ticket.tried, state.pointer)
        if dropping:
            steps.append(Step(StepKind.DROP_FILTERS, ticket, chosen))
        elif chosen is not None:
            steps.append(Step(StepKind.OFFER, ticket, chosen))
        if chosen is not None:
            state.offered(chosen)
            continue
        if dropping:
            continue
        if ticket.tried:
            steps.append(Step(StepKind.END_ROUND, ticket, reason=RoundEnd.FULL_ROUND))
        elif current.started_at + timedelta(seconds=config.fallback_after_seconds) <= now:
            steps.append(Step(StepKind.END_ROUND, ticket, reason=RoundEnd.FALLBACK))
        else:
            return PagePlan(steps, stopped=True)
    return PagePlan(steps)
