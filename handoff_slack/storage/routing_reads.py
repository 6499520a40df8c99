"""What a routing pass reads (core.routing_pass), inside its transaction: the waiting tickets a page
at a time with their needs, rounds and tried agents, the agents' loads and idle times, and an
offer's re-check; storage.offers's repository has them (one statement each, or two, as noted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, exists, func, literal, or_, select, union_all
from sqlmodel import Session, SQLModel

from handoff_slack.core.clock import as_utc
from handoff_slack.core.eligibility import TicketNeeds
from handoff_slack.core.routing import OfferOutcome
from handoff_slack.core.routing_storage import TicketRound, WaitingTicket
from handoff_slack.core.states import TicketState
from handoff_slack.storage.models import conversation_table, ticket_table
from handoff_slack.storage.roster_tables import AgentProfileRow
from handoff_slack.storage.routing_tables import RoutingEndedRow, RoutingRoundRow, TicketOfferRow
from handoff_slack.storage.tickets import QUEUE_ORDER

_offers: Table = SQLModel.metadata.tables[TicketOfferRow.__tablename__]
_ended: Table = SQLModel.metadata.tables[RoutingEndedRow.__tablename__]
_rounds: Table = SQLModel.metadata.tables[RoutingRoundRow.__tablename__]
_profiles: Table = SQLModel.metadata.tables[AgentProfileRow.__tablename__]
_tickets, _conversations = ticket_table, conversation_table
_PENDING = OfferOutcome.PENDING.value


class RoutingReads:
    _session: Session
    workspace_id: str

    def _workspace_tickets(self) -> Any:
        return _tickets.join(_conversations, _tickets.c.conversation_id == _conversations.c.id)

    def waiting(self, after: tuple[int, int] | None, limit: int) -> list[WaitingTicket]:
        # One statement for the page's tickets with their needs and rounds, one for their offers:
        # a pass decides from these (core.routing_plan), not from a transaction per ticket.
        pending = exists().where(_offers.c.ticket_id == _tickets.c.id, _offers.c.outcome == _PENDING)
        ended = exists().where(_ended.c.ticket_id == _tickets.c.id)
        query = (
            select(
                _tickets.c.id,
                _tickets.c.priority,
                _tickets.c.created_at,
                _tickets.c.language,
                _tickets.c.skills,
                _tickets.c.customer_utc_offset,
                _rounds.c.started_at,
                _rounds.c.filters_dropped_at,
            )
            .select_from(self._workspace_tickets().outerjoin(_rounds, _rounds.c.ticket_id == _tickets.c.id))
            .where(
                _tickets.c.state == TicketState.WAITING.value,
                _conversations.c.workspace_id == self.workspace_id,
                ~pending,
                ~ended,
            )
            .order_by(*QUEUE_ORDER)
            .limit(limit)
        )
        if after is not None:  # the queue's order, QUEUE_ORDER: priority descending, then ID
            priority, ticket_id = after
            query = query.where(
                or_(_tickets.c.priority < priority, and_(_tickets.c.priority == priority, _tickets.c.id > ticket_id))
            )
        rows = list(self._session.execute(query))
        if not rows:
            return []
        offered: dict[int, list[tuple[str, datetime]]] = {}
        for ticket_id, agent, at in self._session.execute(
            select(_offers.c.ticket_id, _offers.c.agent_user_id, _offers.c.offered_at).where(
                _offers.c.ticket_id.in_([row.id for row in rows])
            )
        ):
            offered.setdefault(int(ticket_id), []).append((str(agent), as_utc(at)))
        found = []
        for row in rows:
            started = as_utc(row.started_at if row.started_at is not None else row.created_at)
            needs = TicketNeeds(row.language, tuple(row.skills or ()), row.customer_utc_offset)
            tried = frozenset(agent for agent, at in offered.get(int(row.id), ()) if at >= started)
            ticket_round = TicketRound(needs, started, row.filters_dropped_at is not None)
            found.append(WaitingTicket(int(row.id), int(row.priority), ticket_round, tried))
        return found

    def rechecked(self, ticket_id: int, agent_user_id: str) -> tuple[WaitingTicket, int] | None:
        # One statement for what an offer re-checks under the pointer's lock (a round trip each
        # added up to a third of a decision on PostgreSQL): the ticket still routable, its round, its
        # offers (one row each, or one without), and the agent's load.
        other = _offers.alias("pending_offer")  # the statement also joins the ticket's offers
        pending = exists().where(other.c.ticket_id == _tickets.c.id, other.c.outcome == _PENDING)
        ended = exists().where(_ended.c.ticket_id == _tickets.c.id)
        rows = list(
            self._session.execute(
                select(
                    _tickets.c.priority,
                    _tickets.c.created_at,
                    _tickets.c.language,
                    _tickets.c.skills,
                    _tickets.c.customer_utc_offset,
                    _rounds.c.started_at,
                    _rounds.c.filters_dropped_at,
                    _offers.c.agent_user_id,
                    _offers.c.offered_at,
                    self._load_of(agent_user_id).label("load"),
                )
                .select_from(
                    _tickets.outerjoin(_rounds, _rounds.c.ticket_id == _tickets.c.id).outerjoin(
                        _offers, _offers.c.ticket_id == _tickets.c.id
                    )
                )
                .where(_tickets.c.id == ticket_id, _tickets.c.state == TicketState.WAITING.value, ~pending, ~ended)
            )
        )
        if not rows:
            return None
        row = rows[0]
        started = as_utc(row.started_at if row.started_at is not None else row.created_at)
        needs = TicketNeeds(row.language, tuple(row.skills or ()), row.customer_utc_offset)
        tried = frozenset(
            str(r.agent_user_id) for r in rows if r.agent_user_id is not None and as_utc(r.offered_at) >= started
        )
        ticket_round = TicketRound(needs, started, row.filters_dropped_at is not None)
        return WaitingTicket(ticket_id, int(row.priority), ticket_round, tried), int(row.load)

    def loads(self) -> dict[str, int]:
        # The agents with a profile only (without one an agent is offline: never offered; profiles
        # are never deleted), each counted by index look-ups of their own connected tickets: joining
        # every connected ticket to its conversation made PostgreSQL scan the whole conversation
        # table (every conversation ever) in each routing decision. Pending offers are few (the
        # agents' room at most): one pass over them.
        connected = (
            select(func.count())
            .select_from(self._workspace_tickets())
            .where(
                _tickets.c.agent_user_id == _profiles.c.user_id,
                _tickets.c.state == TicketState.CONNECTED.value,
                _conversations.c.workspace_id == self.workspace_id,
            )
            .correlate(_profiles)
            .scalar_subquery()
        )
        per_profile = select(_profiles.c.user_id.label("agent"), connected.label("n")).where(
            _profiles.c.workspace_id == self.workspace_id
        )
        offered = select(_offers.c.agent_user_id.label("agent"), literal(1).label("n")).where(
            _offers.c.outcome == _PENDING, _offers.c.workspace_id == self.workspace_id
        )
        both = union_all(per_profile, offered).subquery()
        rows = self._session.execute(select(both.c.agent, func.sum(both.c.n)).group_by(both.c.agent))
        return {str(agent): int(count) for agent, count in rows if count}

    def _load_of(self, user_id: str) -> Any:
        """One agent's load, a scalar expression: connected conversations and offers awaiting them."""
        offered = (
            select(func.count())
            .select_from(_offers)
            .where(
                _offers.c.agent_user_id == user_id,
                _offers.c.outcome == _PENDING,
                _offers.c.workspace_id == self.workspace_id,
            )
            .correlate(None)  # whole on its own, also inside a statement on tickets
            .scalar_subquery()
        )
        connected = (
            select(func.count())
            .select_from(self._workspace_tickets())
            .where(
                _tickets.c.state == TicketState.CONNECTED.value,
                _tickets.c.agent_user_id == user_id,
                _conversations.c.workspace_id == self.workspace_id,
            )
            .correlate(None)  # whole on its own, also inside a statement on tickets
            .scalar_subquery()
        )
        return connected + offered

    def last_taken(self) -> dict[str, datetime]:
        # The agents with a profile only (without one an agent is offline: never offered), each by
        # an index look-up of their latest claim (ix_ticket_agent_claimed), not a scan of every
        # ticket ever claimed (it grew with the helpdesk's history: 5-7 ms of a routing decision
        # with 1,000 claimed on SQLite).
        latest = (
            select(_tickets.c.claimed_at)
            .select_from(self._workspace_tickets())
            .where(
                _tickets.c.agent_user_id == _profiles.c.user_id,
                _tickets.c.claimed_at.is_not(None),
                _conversations.c.workspace_id == self.workspace_id,
            )
            .order_by(_tickets.c.claimed_at.desc())
            .limit(1)
            .correlate(_profiles)
            .scalar_subquery()
        )
        rows = self._session.execute(
            select(_profiles.c.user_id, latest).where(_profiles.c.workspace_id == self.workspace_id)
        )
        return {str(agent): as_utc(at) for agent, at in rows if at is not None}
