"""`/handoff-queue`'s pages (core.queue_storage): every SQL statement that cuts a page of the queue.

A page is found with OFFSET on the queue's index (`ix_ticket_queue`: state, priority desc, id): the
page's IDs first, from the index alone, and only then their rows and conversations, so a page in
the middle of 10,000 waiting tickets reads the index entries before it and ten rows (README,
Performance: the EXPLAIN figures). A cut (organisation, language, skill, `mine`) gives each listed
ticket its place in the whole queue (one numbering pass over the queue's index, whatever the page);
by organisation it starts from that organisation's team's conversations (`ix_conversation_account`:
workspace, customer team; the name only finds the team, core.accounts.org_queue), by language,
skill or `mine` it reads the queue's index in order and tests each ticket (storage.queue_topics).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlmodel import Session, SQLModel

from handoff_slack.core.queue_filter import QueueFilter
from handoff_slack.core.states import TicketState
from handoff_slack.storage.models import Conversation, Ticket, conversation_table, ticket_table
from handoff_slack.storage.queue_topics import topic_conditions
from handoff_slack.storage.routing_tables import RoutingRoundRow
from handoff_slack.storage.tickets import QUEUE_ORDER

_tickets = ticket_table
_conversations = conversation_table
_rounds: Table = SQLModel.metadata.tables[RoutingRoundRow.__tablename__]
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
    """The waiting tickets, page by page, inside one transaction (`session`), in workspace
    `workspace_id` (for the cut by organisation: its customers' teams are the workspace's accounts)."""

    def __init__(self, session: Session, workspace_id: str = "") -> None:
        self._session = session
        self._workspace_id = workspace_id

    def waiting_count(self) -> int:
        return int(self._session.execute(select(func.count()).select_from(_tickets).where(_WAITING)).scalar_one())

    def page(self, cut: QueueFilter, offset: int, limit: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        if not cut.cuts:
            return self._whole_queue(offset, limit)
        return self._cut(cut, offset, limit)

    def filters_dropped(self, ticket_ids: Sequence[int]) -> set[int]:
        if not ticket_ids:
            return set()
        found = self._session.execute(
            select(_rounds.c.ticket_id).where(
                _rounds.c.ticket_id.in_(list(ticket_ids)), _rounds.c.filters_dropped_at.is_not(None)
            )
        )
        return {int(ticket_id) for (ticket_id,) in found}

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

    def _cut(self, cut: QueueFilter, offset: int, limit: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        """The tickets of some organisations' teams (their conversations first: ix_conversation_account)
        and/or of some languages, skills or the agent's eligibility (storage.queue_topics)."""
        if cut.org_teams is not None and not cut.org_teams:
            return 0, []
        conditions = [_WAITING, *topic_conditions(cut)]
        source: Any = _tickets
        if cut.org_teams is not None:
            conditions.append(_conversations.c.workspace_id == self._workspace_id)  # ix_conversation_account
            conditions.append(_conversations.c.customer_team_id.in_(list(cut.org_teams)))
            source = _tickets.join(_conversations, _OF_CONVERSATION)
        total = self._session.execute(select(func.count()).select_from(source).where(*conditions)).scalar_one()
        # The page's tickets first, then their places: one statement, so the page and its places are
        # one snapshot.
        page_ids = (
            select(_tickets.c.id).select_from(source).where(*conditions).order_by(*QUEUE_ORDER).offset(offset)
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
