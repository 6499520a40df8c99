"""What a routing pass reads (core.routing_pass), inside its transaction: the waiting tickets a page
at a time with their needs, rounds and tried agents, the agents' loads and idle times, and an
offer's re-check; storage.offers's repository has them (one statement each, or two, as noted).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, func, literal, or_, select, union_all
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
_PENDING_OF = _offers.alias("pending_offer")  # a ticket's pending offer (statements also join its offers)


class RoutingReads:
    _session: Session
    workspace_id: str

    def _workspace_tickets(self) -> Any:
        return _tickets.join(_conversations, _tickets.c.conversation_id == _conversations.c.id)

    def waiting(self, after: tuple[int, int] | None, limit: int) -> list[WaitingTicket]:
        # One statement for the page's tickets with their needs and rounds, one for their offers:
        # a pass decides from these (core.routing_plan), not from a transaction per ticket.
        values: dict[str, Any] = {"workspace_id": self.workspace_id, "limit": limit}
        if after is not None:
            values["priority"], values["ticket_id"] = after
        rows = list(self._session.execute(_HEAD if after is None else _AFTER, values))
        if not rows:
            return []
        offered: dict[int, list[tuple[str, datetime]]] = {}
        for ticket_id, agent, at in self._session.execute(_OFFERED, {"ids": [row.id for row in rows]}):
            offered.setdefault(int(ticket_id), []).append((str(agent), as_utc(at)))
        return [_waiting(row, offered.get(int(row.id), [])) for row in rows]

    def rechecked(self, ticket_id: int, agent_user_id: str) -> tuple[WaitingTicket, int] | None:
        # One statement for what an offer re-checks under the pointer's lock (a round trip each
        # added up to a third of a decision on PostgreSQL): the ticket still routable, its round, its
        # offers (one row each, or one without), and the agent's load.
        values = {"ticket_id": ticket_id, "agent": agent_user_id, "workspace_id": self.workspace_id}
        rows = list(self._session.execute(_RECHECK, values))
        if not rows:
            return None
        offers = [(str(r.agent_user_id), as_utc(r.offered_at)) for r in rows if r.agent_user_id is not None]
        return _waiting(rows[0], offers), int(rows[0].load)

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


def _waiting(row: Any, offers: Iterable[tuple[str, datetime]]) -> WaitingTicket:
    """A waiting ticket from its row (ticket and round) and its offers: those of its round are tried."""
    started = as_utc(row.started_at if row.started_at is not None else row.created_at)
    needs = TicketNeeds(row.language, tuple(row.skills or ()), row.customer_utc_offset)
    tried = frozenset(agent for agent, at in offers if at >= started)
    return WaitingTicket(
        int(row.id), int(row.priority), TicketRound(needs, started, row.filters_dropped_at is not None), tried
    )


# Built once (their compiled forms are cached): a pass's statements are the same every time.
_ROUTABLE = (
    _tickets.c.state == TicketState.WAITING.value,
    ~exists().where(_PENDING_OF.c.ticket_id == _tickets.c.id, _PENDING_OF.c.outcome == _PENDING),
    ~exists().where(_ended.c.ticket_id == _tickets.c.id),
)
_TICKET_ROUND = (
    _tickets.c.id,
    _tickets.c.priority,
    _tickets.c.created_at,
    _tickets.c.language,
    _tickets.c.skills,
    _tickets.c.customer_utc_offset,
    _rounds.c.started_at,
    _rounds.c.filters_dropped_at,
)
_HEAD = (
    select(*_TICKET_ROUND)
    .select_from(
        _tickets.join(_conversations, _tickets.c.conversation_id == _conversations.c.id).outerjoin(
            _rounds, _rounds.c.ticket_id == _tickets.c.id
        )
    )
    .where(*_ROUTABLE, _conversations.c.workspace_id == bindparam("workspace_id"))
    .order_by(*QUEUE_ORDER)
    .limit(bindparam("limit"))
)
# The next page: after (priority, ID) in the queue's order, QUEUE_ORDER (priority descending, then ID).
_AFTER = _HEAD.where(
    or_(
        _tickets.c.priority < bindparam("priority"),
        and_(_tickets.c.priority == bindparam("priority"), _tickets.c.id > bindparam("ticket_id")),
    )
)
_OFFERED = select(_offers.c.ticket_id, _offers.c.agent_user_id, _offers.c.offered_at).where(
    _offers.c.ticket_id.in_(bindparam("ids", expanding=True))
)
# One agent's load, whole on its own (not correlated with the ticket the statement reads).
_AGENT_CONNECTED = (
    select(func.count())
    .select_from(_tickets.join(_conversations, _tickets.c.conversation_id == _conversations.c.id))
    .where(
        _tickets.c.state == TicketState.CONNECTED.value,
        _tickets.c.agent_user_id == bindparam("agent"),
        _conversations.c.workspace_id == bindparam("workspace_id"),
    )
    .correlate(None)
    .scalar_subquery()
)
_AGENT_OFFERED = (
    select(func.count())
    .select_from(_offers)
    .where(
        _offers.c.agent_user_id == bindparam("agent"),
        _offers.c.outcome == _PENDING,
        _offers.c.workspace_id == bindparam("workspace_id"),
    )
    .correlate(None)
    .scalar_subquery()
)
_RECHECK = (
    select(
        *_TICKET_ROUND, _offers.c.agent_user_id, _offers.c.offered_at, (_AGENT_CONNECTED + _AGENT_OFFERED).label("load")
    )
    .select_from(
        _tickets.outerjoin(_rounds, _rounds.c.ticket_id == _tickets.c.id).outerjoin(
            _offers, _offers.c.ticket_id == _tickets.c.id
        )
    )
    .where(_tickets.c.id == bindparam("ticket_id"), *_ROUTABLE)
)
