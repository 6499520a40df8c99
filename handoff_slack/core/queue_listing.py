"""`/handoff-queue`'s pages: one page of the waiting tickets that match the agent's options, each
with who could take it now. One transaction: the count, the page and the agents' loads are one
snapshot; the agents are looked at once per page (core.queue_eligibility), not per line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from handoff_slack.core.accounts import OrgQueue, org_queue
from handoff_slack.core.agent_profiles import AgentProfile
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.queue_eligibility import TicketFacts, eligible_agents
from handoff_slack.core.queue_filter import (
    PAGE_SIZE,
    AgentFit,
    QueueFilter,
    QueueLine,
    QueuePage,
    QueueRequest,
    Unlisted,
)
from handoff_slack.core.routing import Candidate, RoutingConfig, candidates
from handoff_slack.core.views import TicketView


class QueueListing(HandoffSteps):
    routing: RoutingConfig = RoutingConfig()  # its filters' time-zone window (core.routing_desk sets it)

    def queue_page(
        self,
        request: QueueRequest,
        viewer: str,
        agent_ids: Iterable[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        page_size: int = PAGE_SIZE,
        utc_offsets: Mapping[str, int] | None = None,
    ) -> QueuePage:
        """The page `request` asks for, seen by agent `viewer`; `agent_ids`: everyone who is an agent
        now (their `profiles` say who is available, and their capacity); `utc_offsets`: the agents'
        (seconds east of UTC, when known), for routing.time_zone_hours."""
        hours = self.routing.filters.time_zone_hours
        with self.storage.transaction() as tx:
            agents = candidates(agent_ids, profiles, tx.offers.loads(), {}, default_capacity, utc_offsets)
            orgs: OrgQueue | None = None
            if request.org is not None:
                orgs = org_queue(request.org, tx.accounts.waiting_orgs())
            mine: AgentFit | None = None
            if request.mine:
                me = _me(viewer, agents, default_capacity)
                if not (me.available and me.has_room):
                    unlisted = Unlisted.NOT_AVAILABLE if not me.available else Unlisted.FULL
                    return QueuePage(request, (), 0, tx.queue.waiting_count(), page_size, orgs, unlisted)
                mine = AgentFit(me.languages, me.skills, me.utc_offset, hours)
            cut = QueueFilter(None if orgs is None else orgs.teams, request.languages, request.skills, mine)
            total, rows = tx.queue.page(cut, (request.page - 1) * page_size, page_size)
            waiting = tx.queue.waiting_count() if cut.cuts else total  # the whole queue's count, read once
            dropped = tx.queue.filters_dropped([int(ticket.id) for _position, ticket, _conversation in rows])
            lines = []
            for position, ticket, conversation in rows:
                view = TicketView.from_rows(ticket, conversation)
                facts = TicketFacts.of(view, view.id in dropped)
                lines.append(QueueLine(position, view, tuple(eligible_agents(facts, agents, hours))))
            return QueuePage(request, tuple(lines), total, waiting, page_size, orgs)

    def eligible_for(
        self,
        ticket_id: int,
        agent_ids: Iterable[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        utc_offsets: Mapping[str, int] | None = None,
    ) -> tuple[str, ...]:
        """Who could take ticket `ticket_id` now (as its queue line says); none for an unknown ticket."""
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None:
                return ()
            view = TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))
            agents = candidates(agent_ids, profiles, tx.offers.loads(), {}, default_capacity, utc_offsets)
            facts = TicketFacts.of(view, ticket_id in tx.queue.filters_dropped([ticket_id]))
            return tuple(eligible_agents(facts, agents, self.routing.filters.time_zone_hours))


def _me(viewer: str, agents: list[Candidate], default_capacity: int) -> Candidate:
    """The asking agent as eligibility sees them (offline when they have no profile)."""
    return next((agent for agent in agents if agent.user_id == viewer), Candidate(viewer, False, 0, default_capacity))
