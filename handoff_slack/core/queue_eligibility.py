"""Who could take a waiting ticket now: the one rule `/handoff-queue` shows on each line and uses for
`mine`.

Today an agent is eligible when they are available and have room (load under capacity, the load
counting routing's pending offers, as core.routing sees it). The ticket's facts are passed in so
that rules on the ticket (its language, skills, the customer's time zone: the routing-filters work)
plug in here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handoff_slack.core.priority import Priority
from handoff_slack.core.routing import Candidate
from handoff_slack.core.views import TicketView


@dataclass(frozen=True)
class TicketFacts:
    """What eligibility may look at of a waiting ticket."""

    ticket_id: int
    priority: Priority = Priority.NORMAL
    org_name: str | None = None
    language: str | None = None  # None until tickets carry a language (routing-filters)
    skills: tuple[str, ...] = ()  # empty until tickets carry skills (routing-filters)

    @classmethod
    def of(cls, ticket: TicketView) -> TicketFacts:
        return cls(ticket.id, ticket.priority, ticket.customer.org_name)


def eligible_agents(ticket: TicketFacts, candidates: Iterable[Candidate]) -> list[str]:
    """The agents who could take `ticket` now, the least busy first (then by user ID: a stable order).

    The ticket's language and skills are not looked at yet: see the module's note.
    """
    able = [agent for agent in candidates if agent.available and agent.has_room]
    return [agent.user_id for agent in sorted(able, key=lambda agent: (agent.load, agent.user_id))]
