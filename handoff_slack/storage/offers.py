"""Routing's statements (core.helpdesk_storage.Offers): ticket offers, the round-robin pointer,
tickets whose offers ended, and the agents' loads, inside one transaction.

Answers are conditional UPDATEs from pending: of an accept, a decline and the timeout, on any
replica, exactly one changes the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, exists, func, select, union_all, update
from sqlmodel import Session, SQLModel

from handoff_slack.core.clock import as_utc, utcnow
from handoff_slack.core.routing import OfferOutcome
from handoff_slack.core.states import TicketState
from handoff_slack.storage.database import InsertIfAbsent
from handoff_slack.storage.models import conversation_table, ticket_table
from handoff_slack.storage.roster_tables import AgentProfileRow
from handoff_slack.storage.routing_tables import RoutingEndedRow, RoutingPointerRow, TicketOfferRow
from handoff_slack.storage.tickets import QUEUE_ORDER, offers_changed, rows_changed

_offers: Table = SQLModel.metadata.tables[TicketOfferRow.__tablename__]
_pointer: Table = SQLModel.metadata.tables[RoutingPointerRow.__tablename__]
_ended: Table = SQLModel.metadata.tables[RoutingEndedRow.__tablename__]
_profiles: Table = SQLModel.metadata.tables[AgentProfileRow.__tablename__]
_tickets, _conversations = ticket_table, conversation_table
_insert_offer = InsertIfAbsent(TicketOfferRow)
_insert_pointer = InsertIfAbsent(RoutingPointerRow)
_insert_ended = InsertIfAbsent(RoutingEndedRow)
_PENDING = OfferOutcome.PENDING.value


class OfferRepository:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self._session = session
        self.workspace_id = workspace_id

    def _workspace_tickets(self) -> Any:
        return _tickets.join(_conversations, _tickets.c.conversation_id == _conversations.c.id)

    def get(self, offer_id: int, fresh: bool = False) -> TicketOfferRow | None:
        return self._session.get(TicketOfferRow, offer_id, populate_existing=fresh)

    def to_route(self, limit: int) -> list[tuple[int, datetime]]:
        pending = exists().where(_offers.c.ticket_id == _tickets.c.id, _offers.c.outcome == _PENDING)
        ended = exists().where(_ended.c.ticket_id == _tickets.c.id)
        rows = self._session.execute(
            select(_tickets.c.id, _tickets.c.created_at)
            .select_from(self._workspace_tickets())
            .where(
                _tickets.c.state == TicketState.WAITING.value,
                _conversations.c.workspace_id == self.workspace_id,
                ~pending,
                ~ended,
            )
            .order_by(*QUEUE_ORDER)  # the queue's order: an urgent ticket is offered first
            .limit(limit)
        )
        return [(int(ticket_id), created_at) for ticket_id, created_at in rows]

    def pointer_locked(self) -> str | None:
        _insert_pointer(
            self._session, {"workspace_id": self.workspace_id, "last_user_id": None, "updated_at": utcnow()}
        )
        row = self._session.execute(
            select(_pointer.c.last_user_id).where(_pointer.c.workspace_id == self.workspace_id).with_for_update()
        ).one()
        last: str | None = row.last_user_id
        return last

    def move_pointer(self, user_id: str, now: datetime) -> None:
        self._session.execute(
            update(_pointer)
            .where(_pointer.c.workspace_id == self.workspace_id)
            .values(last_user_id=user_id, updated_at=now)
        )

    def is_routable(self, ticket_id: int) -> bool:
        state = self._session.execute(select(_tickets.c.state).where(_tickets.c.id == ticket_id)).scalar()
        if state != TicketState.WAITING.value:
            return False
        pending = self._session.execute(
            select(_offers.c.id).where(_offers.c.ticket_id == ticket_id, _offers.c.outcome == _PENDING)
        ).first()
        ended = self._session.execute(select(_ended.c.ticket_id).where(_ended.c.ticket_id == ticket_id)).first()
        return pending is None and ended is None

    def tried(self, ticket_id: int) -> set[str]:
        rows = self._session.execute(select(_offers.c.agent_user_id).where(_offers.c.ticket_id == ticket_id))
        return {str(user_id) for (user_id,) in rows}

    def loads(self) -> dict[str, int]:
        connected = (
            select(_tickets.c.agent_user_id.label("agent"))
            .select_from(self._workspace_tickets())
            .where(
                _tickets.c.state == TicketState.CONNECTED.value,
                _tickets.c.agent_user_id.is_not(None),
                _conversations.c.workspace_id == self.workspace_id,
            )
        )
        offered = select(_offers.c.agent_user_id.label("agent")).where(
            _offers.c.outcome == _PENDING, _offers.c.workspace_id == self.workspace_id
        )
        both = union_all(connected, offered).subquery()
        rows = self._session.execute(select(both.c.agent, func.count()).group_by(both.c.agent))
        return {str(agent): int(count) for agent, count in rows}

    def last_taken(self) -> dict[str, datetime]:
        rows = self._session.execute(
            select(_tickets.c.agent_user_id, func.max(_tickets.c.claimed_at))
            .select_from(self._workspace_tickets())
            .where(_tickets.c.agent_user_id.is_not(None), _conversations.c.workspace_id == self.workspace_id)
            .group_by(_tickets.c.agent_user_id)
        )
        return {str(agent): as_utc(at) for agent, at in rows if at is not None}

    def add(self, ticket_id: int, agent_user_id: str, now: datetime, expires_at: datetime) -> int | None:
        found = _insert_offer(
            self._session,
            {
                "workspace_id": self.workspace_id,
                "ticket_id": ticket_id,
                "agent_user_id": agent_user_id,
                "offered_at": now,
                "expires_at": expires_at,
                "outcome": _PENDING,
            },
        )
        if found is None:
            return None
        offers_changed(self._session, ticket_id)
        return int(found)

    def answer(self, offer_id: int, outcome: str, now: datetime, from_outcome: str = _PENDING) -> bool:
        statement = (
            update(_offers)
            .where(_offers.c.id == offer_id, _offers.c.outcome == str(from_outcome))
            .values(outcome=str(outcome), answered_at=now)
        )
        if not rows_changed(self._session.execute(statement)):
            return False
        offers_changed(self._session, select(_offers.c.ticket_id).where(_offers.c.id == offer_id).scalar_subquery())
        return True

    def pending_for(self, ticket_id: int) -> list[tuple[str, datetime]]:
        """The ticket's pending offer (at most one): its agent and until when."""
        rows = self._session.execute(
            select(_offers.c.agent_user_id, _offers.c.expires_at).where(
                _offers.c.ticket_id == ticket_id, _offers.c.outcome == _PENDING
            )
        )
        return [(str(agent), as_utc(until)) for agent, until in rows]

    def end_round(self, ticket_id: int, reason: str, now: datetime) -> bool:
        return (
            _insert_ended(self._session, {"ticket_id": ticket_id, "reason": str(reason), "ended_at": now}) is not None
        )

    def expired(self, now: datetime, limit: int) -> list[int]:
        not_waiting = exists().where(
            _tickets.c.id == _offers.c.ticket_id, _tickets.c.state != TicketState.WAITING.value
        )
        rows = self._session.execute(
            select(_offers.c.id)
            .where(
                _offers.c.outcome == _PENDING,
                _offers.c.workspace_id == self.workspace_id,
                (_offers.c.expires_at <= now) | not_waiting,
            )
            .order_by(_offers.c.id)
            .limit(limit)
        )
        return [int(offer_id) for (offer_id,) in rows]

    def capacity_locked(self, user_id: str) -> int | None:
        row = self._session.execute(
            select(_profiles.c.capacity)
            .where(_profiles.c.workspace_id == self.workspace_id, _profiles.c.user_id == user_id)
            .with_for_update()
        ).first()
        capacity: int | None = None if row is None else row.capacity
        return capacity

    def availability(self, user_id: str) -> str | None:
        found = self._session.execute(
            select(_profiles.c.availability).where(
                _profiles.c.workspace_id == self.workspace_id, _profiles.c.user_id == user_id
            )
        ).scalar()
        return None if found is None else str(found)

    def connected_count(self, user_id: str) -> int:
        return int(
            self._session.execute(
                select(func.count())
                .select_from(self._workspace_tickets())
                .where(
                    _tickets.c.state == TicketState.CONNECTED.value,
                    _tickets.c.agent_user_id == user_id,
                    _conversations.c.workspace_id == self.workspace_id,
                )
            ).scalar_one()
        )

    def shown(self, offer_id: int, channel_id: str, ts: str) -> None:
        self._session.execute(
            update(_offers).where(_offers.c.id == offer_id).values(dm_channel_id=channel_id, dm_ts=ts)
        )
