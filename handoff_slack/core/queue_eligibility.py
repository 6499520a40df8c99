"""Who could take a waiting ticket now, as `/handoff-queue` shows it on each line: routing's rule
(core.eligibility) applied to the ticket's needs, ordered for reading.

An agent could take a ticket when core.eligibility says they are eligible for it (available, with
room, speaking its language, with its skills, within `routing.time_zone_hours` of the customer); or,
once routing dropped the ticket's filters (nobody eligible took it in time:
`routing.filters_fallback_after_seconds`), when they are available with room, as routing then offers
it to everyone. storage.queue_topics cuts `mine` by the same rule in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from handoff_slack.core.eligibility import TicketNeeds, eligibility
from handoff_slack.core.routing import Candidate
from handoff_slack.core.views import TicketView


@dataclass(frozen=True)
class TicketFacts:
    """What eligibility looks at of a waiting ticket."""

    ticket_id: int
    needs: TicketNeeds = field(default_factory=TicketNeeds)
    filters_dropped: bool = False  # routing offers it to everyone available now

    @classmethod
    def of(cls, ticket: TicketView, filters_dropped: bool = False) -> TicketFacts:
        return cls(ticket.id, ticket.needs, filters_dropped)


def could_take(ticket: TicketFacts, agent: Candidate, time_zone_hours: int | None = None) -> bool:
    if ticket.filters_dropped:
        return agent.available and agent.has_room
    return eligibility(ticket.needs, agent, time_zone_hours).eligible


def eligible_agents(
    ticket: TicketFacts, candidates: Iterable[Candidate], time_zone_hours: int | None = None
) -> list[str]:
    """The agents who could take `ticket` now, the least busy first (then by user ID: a stable order)."""
    able = [agent for agent in candidates if could_take(ticket, agent, time_zone_hours)]
    return [agent.user_id for agent in sorted(able, key=lambda agent: (agent.load, agent.user_id))]
