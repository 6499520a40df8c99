"""`/handoff-queue`'s pages (core.queue_storage): every SQL statement that cuts a page of the queue.

A page is found with OFFSET on the queue's index (`ix_ticket_queue`: state, priority desc, id): the
page's IDs first, from the index alone, and only then their rows and conversations, so a page in
the middle of 10,000 waiting tickets reads the index entries before it and ten rows (README,
Performance: the EXPLAIN figures). A cut by organisation starts from that organisation's
conversations (`ix_conversation_org`, migration 0018) and gives each listed ticket its place in the
whole queue (one numbering pass over the queue's index, whatever the page).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from handoff_slack.core.queue_filter import QueueFilter
from handoff_slack.core.queue_storage import TopicFiltersUnavailable
from handoff_slack.core.states import TicketState
from handoff_slack.storage.models import Conversation, Ticket, conversation_table, ticket_table
from handoff_slack.storage.tickets import QUEUE_ORDER

_tickets = ticket_table
_conversations = conversation_table
_WAITING = _tickets.c.state == TicketState.WAITING.value
_OF_CONVERSATION = _conversations.c.id == _tickets.c.conversation_id
# Every waiting ticket's place in the whole queue, numbered in the queue's order: one pass over
# ix_ticket_queue's entries (index only), whatever the page.
_PLACES = (
    select(_tickets.c.id.label("ticket_id"), func.row_number().over(order_by=QUEUE_ORDER).label("place"))
    .where(_WAITING)
    .subquery("places")
)


class QueueRepository:
    """The waiting tickets, page by page, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def waiting_count(self) -> int:
        return int(self._session.execute(select(func.count()).select_from(_tickets).where(_WAITING)).scalar_one())

    def page(self, cut: QueueFilter, offset: int, limit: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        if cut.by_topic:
            # LEAD (routing-filters): once tickets carry a language and skills, cut here: a ticket
            # matches `cut.languages` when its language is one of them, `cut.skills` when it needs
            # any of them (add both conditions to `_matching` below, and an index in a migration if
            # EXPLAIN wants one), then drop this raise; core.queue_listing needs no change.
            raise TopicFiltersUnavailable("tickets carry no language or skills yet")
        # LEAD (routing-filters): `cut.agent_languages` / `cut.agent_skills` (`mine`) are the agent's:
        # once tickets carry a language and skills, keep those the agent matches, by the same rule
        # as core.queue_eligibility.eligible_agents. Today eligibility does not depend on the
        # ticket, so an eligible agent's `mine` is every waiting ticket.
        if cut.org_names is None:
            return self._whole_queue(offset, limit)
        return self._of_orgs(cut.org_names, offset, limit)

    def _whole_queue(self, offset: int, limit: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        page_ids = select(_tickets.c.id).where(_WAITING).order_by(*QUEUE_ORDER).offset(offset).limit(limit)
        rows = self._session.execute(
            select(Ticket, Conversation)
            .join(Conversation, _OF_CONVERSATION)
            .where(_tickets.c.id.in_(page_ids.scalar_subquery()))
            .order_by(*QUEUE_ORDER)
        ).all()
        found = [(offset + i + 1, ticket, conversation) for i, (ticket, conversation) in enumerate(rows)]
        return self.waiting_count(), found

    def _of_orgs(self, org_names: tuple[str, ...], offset: int, limit: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        if not org_names:
            return 0, []
        of_orgs = _conversations.c.customer_org_name.in_(list(org_names))  # ix_conversation_org
        theirs = _tickets.join(_conversations, _OF_CONVERSATION)
        total = self._session.execute(select(func.count()).select_from(theirs).where(_WAITING, of_orgs)).scalar_one()
        # The page's tickets first (from the organisation's conversations), then their places: one
        # statement, so the page and its places are one snapshot.
        page_ids = (
            select(_tickets.c.id).select_from(theirs).where(_WAITING, of_orgs).order_by(*QUEUE_ORDER).offset(offset)
        ).limit(limit)
        statement: Select[Any] = (
            select(_PLACES.c.place, Ticket, Conversation)
            .join(Ticket, _tickets.c.id == _PLACES.c.ticket_id)
            .join(Conversation, _OF_CONVERSATION)
            .where(_PLACES.c.ticket_id.in_(page_ids.scalar_subquery()))
            .order_by(_PLACES.c.place)
        )
        rows = self._session.execute(statement).all()
        return int(total), [(int(place), ticket, conversation) for place, ticket, conversation in rows]
