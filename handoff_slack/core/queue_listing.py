"""`/handoff-queue`'s pages: one page of the waiting tickets that match the agent's options, each
with who could take it now. One transaction: the count, the page and the agents' loads are one
snapshot; the agents are looked at once per page (core.queue_eligibility), not per line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from handoff_slack.core.accounts import OrgQueue, matching_orgs, org_key
from handoff_slack.core.agent_profiles import AgentProfile
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.queue_eligibility import TicketFacts, eligible_agents
from handoff_slack.core.queue_filter import PAGE_SIZE, QueueFilter, QueueLine, QueuePage, QueueRequest, Unlisted
from handoff_slack.core.queue_storage import TopicFiltersUnavailable
from handoff_slack.core.routing import Candidate, candidates
from handoff_slack.core.views import TicketView


class QueueListing(HandoffSteps):
    def queue_page(
        self,
        request: QueueRequest,
        viewer: str,
        agent_ids: Iterable[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        page_size: int = PAGE_SIZE,
    ) -> QueuePage:
        """The page `request` asks for, seen by agent `viewer`; `agent_ids`: everyone who is an agent
        now (their `profiles` say who is available, and their capacity)."""
        with self.storage.transaction() as tx:
            agents = candidates(agent_ids, profiles, tx.offers.loads(), {}, default_capacity)
            orgs: OrgQueue | None = None
            if request.org is not None:
                known = tuple(sorted(tx.accounts.waiting_orgs(), key=org_key))
                orgs = OrgQueue(request.org, matching_orgs(request.org, known), known)
            cut = QueueFilter(None if orgs is None else orgs.matched, request.languages, request.skills)
            if request.mine:
                unlisted = _not_eligible(viewer, agents, default_capacity)
                if unlisted is not None:
                    return QueuePage(request, (), 0, tx.queue.waiting_count(), page_size, orgs, unlisted)
                profile = profiles.get(viewer) or AgentProfile(viewer)
                cut = QueueFilter(cut.org_names, cut.languages, cut.skills, profile.languages, profile.skills)
            try:
                total, rows = tx.queue.page(cut, (request.page - 1) * page_size, page_size)
            except TopicFiltersUnavailable:
                return QueuePage(request, (), 0, tx.queue.waiting_count(), page_size, orgs, Unlisted.TOPICS_NOT_YET)
            waiting = tx.queue.waiting_count() if cut.cuts else total  # the whole queue's count, read once
            lines = []
            for position, ticket, conversation in rows:
                view = TicketView.from_rows(ticket, conversation)
                lines.append(QueueLine(position, view, tuple(eligible_agents(TicketFacts.of(view), agents))))
            return QueuePage(request, tuple(lines), total, waiting, page_size, orgs)

    def eligible_for(
        self, ticket_id: int, agent_ids: Iterable[str], profiles: Mapping[str, AgentProfile], default_capacity: int
    ) -> tuple[str, ...]:
        """Who could take ticket `ticket_id` now (as its queue line says); none for an unknown ticket."""
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None:
                return ()
            view = TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))
            agents = candidates(agent_ids, profiles, tx.offers.loads(), {}, default_capacity)
            return tuple(eligible_agents(TicketFacts.of(view), agents))


def _not_eligible(viewer: str, agents: list[Candidate], default_capacity: int) -> Unlisted | None:
    """Why `viewer` could take no ticket now (`mine`); None when they could take one."""
    me = next((agent for agent in agents if agent.user_id == viewer), Candidate(viewer, False, 0, default_capacity))
    if viewer in eligible_agents(TicketFacts(ticket_id=0), [me]):
        return None
    return Unlisted.NOT_AVAILABLE if not me.available else Unlisted.FULL
