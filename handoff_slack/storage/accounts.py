"""Accounts (core.accounts): every SQL statement reading an organisation's tickets.

An account is a customer team within the installing workspace: its conversations are found by
`ix_conversation_account` (workspace, customer team; migration 0011), their tickets by
`ticket.conversation_id`. The queue by organisation reads the waiting tickets' customers' teams and
organisation names (to match what the agent asked), then the matched teams' waiting tickets in the
queue's order (`ix_ticket_queue`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import Session, col, select

from handoff_slack.core.accounts import CLOSED_STATES, OPEN_STATES
from handoff_slack.core.states import TicketState
from handoff_slack.storage.models import Conversation, Ticket
from handoff_slack.storage.tickets import QUEUE_ORDER

_OPEN = [state.value for state in OPEN_STATES]
_CLOSED = [state.value for state in CLOSED_STATES]
_OF_CONVERSATION = col(Conversation.id) == col(Ticket.conversation_id)


class AccountRepository:
    """An organisation's tickets, inside one transaction (`session`), in workspace `workspace_id`."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self._session = session
        self._workspace_id = workspace_id

    def _of_account(self, team_id: str, except_ticket: int) -> tuple[ColumnElement[bool], ...]:
        return (
            col(Conversation.workspace_id) == self._workspace_id,
            col(Conversation.customer_team_id) == team_id,
            col(Ticket.id) != except_ticket,
        )

    def open_tickets(
        self, team_id: str, except_ticket: int, limit: int
    ) -> tuple[int, list[tuple[Ticket, Conversation]]]:
        """How many other open tickets the team has, and the first `limit` (oldest first)."""
        where = (*self._of_account(team_id, except_ticket), col(Ticket.state).in_(_OPEN))
        total = self._session.exec(
            select(func.count()).select_from(Ticket).join(Conversation, _OF_CONVERSATION).where(*where)
        ).one()
        rows = self._session.exec(
            select(Ticket, Conversation)
            .join(Conversation, _OF_CONVERSATION)
            .where(*where)
            .order_by(col(Ticket.id))
            .limit(limit)
        ).all()
        return int(total), [(ticket, conversation) for ticket, conversation in rows]

    def closed_tickets(self, team_id: str, except_ticket: int, limit: int) -> list[tuple[Ticket, Conversation]]:
        """The team's last `limit` closed tickets, the most recently closed first."""
        rows = self._session.exec(
            select(Ticket, Conversation)
            .join(Conversation, _OF_CONVERSATION)
            .where(*self._of_account(team_id, except_ticket), col(Ticket.state).in_(_CLOSED))
            .order_by(col(Ticket.closed_at).desc(), col(Ticket.id).desc())
            .limit(limit)
        ).all()
        return [(ticket, conversation) for ticket, conversation in rows]

    def waiting_orgs(self) -> list[tuple[str, str | None]]:
        """The waiting tickets' customers of another organisation: (team ID, organisation name as
        stored, None while Slack has not told it), each pair once."""
        if not self._workspace_id:  # the installing team unknown: nobody is known to be of another
            return []
        rows = self._session.exec(
            select(Conversation.customer_team_id, Conversation.customer_org_name)
            .join(Ticket, _OF_CONVERSATION)
            .where(
                col(Ticket.state) == TicketState.WAITING,
                col(Conversation.workspace_id) == self._workspace_id,
                col(Conversation.customer_team_id).is_not(None),
                col(Conversation.customer_team_id) != self._workspace_id,
            )
            .distinct()
        ).all()
        return [(str(team), name or None) for team, name in rows if team]

    def waiting_of_teams(self, team_ids: Sequence[str], limit: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        """How many waiting tickets are of these teams' customers, and the first `limit`, each with
        its place in the whole queue (1 is next)."""
        if not team_ids:
            return 0, []
        waiting = col(Ticket.state) == TicketState.WAITING
        of_orgs = and_(
            col(Conversation.workspace_id) == self._workspace_id, col(Conversation.customer_team_id).in_(list(team_ids))
        )
        total = self._session.exec(
            select(func.count()).select_from(Ticket).join(Conversation, _OF_CONVERSATION).where(waiting, of_orgs)
        ).one()
        # Places in the queue: the waiting tickets numbered in the queue's order (priority, then age).
        queue = (
            select(col(Ticket.id).label("ticket_id"), func.row_number().over(order_by=QUEUE_ORDER).label("place"))
            .where(waiting)
            .subquery()
        )
        rows = self._session.exec(
            select(queue.c.place, Ticket, Conversation)
            .join(Ticket, col(Ticket.id) == queue.c.ticket_id)
            .join(Conversation, _OF_CONVERSATION)
            .where(of_orgs)
            .order_by(queue.c.place)
            .limit(limit)
        ).all()
        return int(total), [(int(place), ticket, conversation) for place, ticket, conversation in rows]
