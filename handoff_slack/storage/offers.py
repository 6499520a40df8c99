"""Routing's statements (core.helpdesk_storage.Offers): ticket offers, the round-robin pointer,
tickets whose offers ended, inside one transaction; what a routing pass reads to decide (the
waiting tickets' pages, the agents' loads and idle times, an offer's re-check) is storage.routing_reads.

Answers are conditional UPDATEs from pending: of an accept, a decline and the timeout, on any
replica, exactly one changes the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, exists, func, literal_column, select, update
from sqlmodel import Session, SQLModel

from handoff_slack.core.clock import as_utc, utcnow
from handoff_slack.core.eligibility import TicketNeeds
from handoff_slack.core.routing import OfferOutcome
from handoff_slack.core.routing_storage import TicketRound
from handoff_slack.core.states import TicketState
from handoff_slack.storage.database import InsertIfAbsent
from handoff_slack.storage.models import conversation_table, ticket_table
from handoff_slack.storage.roster_tables import AgentProfileRow
from handoff_slack.storage.routing_reads import RoutingReads
from handoff_slack.storage.routing_tables import RoutingEndedRow, RoutingPointerRow, RoutingRoundRow, TicketOfferRow
from handoff_slack.storage.tickets import QUEUE_ORDER, offers_changed, rows_changed

_offers: Table = SQLModel.metadata.tables[TicketOfferRow.__tablename__]
_pointer: Table = SQLModel.metadata.tables[RoutingPointerRow.__tablename__]
_ended: Table = SQLModel.metadata.tables[RoutingEndedRow.__tablename__]
_profiles: Table = SQLModel.metadata.tables[AgentProfileRow.__tablename__]
_rounds: Table = SQLModel.metadata.tables[RoutingRoundRow.__tablename__]
_tickets, _conversations = ticket_table, conversation_table
_insert_offer = InsertIfAbsent(TicketOfferRow)
_insert_pointer = InsertIfAbsent(RoutingPointerRow)
_insert_ended = InsertIfAbsent(RoutingEndedRow)
_insert_round = InsertIfAbsent(RoutingRoundRow)
_PENDING = OfferOutcome.PENDING.value


class OfferRepository(RoutingReads):
    def __init__(self, session: Session, workspace_id: str) -> None:
        self._session = session
        self.workspace_id = workspace_id

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
        # Read (and locked) first; the row is written once per workspace, so in each routing decision
        # after that first one the insert-if-absent would be a round trip for nothing.
        locked = select(_pointer.c.last_user_id).where(_pointer.c.workspace_id == self.workspace_id).with_for_update()
        row = self._session.execute(locked).first()
        if row is None:
            _insert_pointer(
                self._session, {"workspace_id": self.workspace_id, "last_user_id": None, "updated_at": utcnow()}
            )
            row = self._session.execute(locked).one()
        last: str | None = row.last_user_id
        return last

    def move_pointer(self, user_id: str, now: datetime) -> None:
        self._session.execute(
            update(_pointer)
            .where(_pointer.c.workspace_id == self.workspace_id)
            .values(last_user_id=user_id, updated_at=now)
        )

    def is_routable(self, ticket_id: int) -> bool:
        pending = exists().where(_offers.c.ticket_id == ticket_id, _offers.c.outcome == _PENDING)
        ended = exists().where(_ended.c.ticket_id == ticket_id)
        found = self._session.execute(  # one statement: a routing decision's round trips add up
            select(_tickets.c.id).where(
                _tickets.c.id == ticket_id, _tickets.c.state == TicketState.WAITING.value, ~pending, ~ended
            )
        ).first()
        return found is not None

    def tried(self, ticket_id: int, since: datetime | None = None) -> set[str]:
        query = select(_offers.c.agent_user_id).where(_offers.c.ticket_id == ticket_id)
        if since is not None:
            query = query.where(_offers.c.offered_at >= since)
        return {str(user_id) for (user_id,) in self._session.execute(query)}

    def round_of(self, ticket_id: int) -> TicketRound:
        row = self._session.execute(
            select(
                _tickets.c.language,
                _tickets.c.skills,
                _tickets.c.customer_utc_offset,
                _tickets.c.created_at,
                _rounds.c.started_at,
                _rounds.c.filters_dropped_at,
            )
            .select_from(_tickets.outerjoin(_rounds, _rounds.c.ticket_id == _tickets.c.id))
            .where(_tickets.c.id == ticket_id)
        ).one()
        needs = TicketNeeds(row.language, tuple(row.skills or ()), row.customer_utc_offset)
        started = row.started_at if row.started_at is not None else row.created_at
        return TicketRound(needs, as_utc(started), row.filters_dropped_at is not None)

    def drop_filters(self, ticket_id: int, started_at: datetime, now: datetime) -> bool:
        inserted = _insert_round(
            self._session, {"ticket_id": ticket_id, "started_at": started_at, "filters_dropped_at": now}
        )
        if inserted is not None:
            return True
        changed = self._session.execute(
            update(_rounds)
            .where(_rounds.c.ticket_id == ticket_id, _rounds.c.filters_dropped_at.is_(None))
            .values(filters_dropped_at=now)
        )
        return bool(rows_changed(changed))

    def new_round(self, ticket_id: int, now: datetime) -> None:
        self._session.execute(delete(_ended).where(_ended.c.ticket_id == ticket_id))
        self._session.execute(delete(_rounds).where(_rounds.c.ticket_id == ticket_id))
        _insert_round(self._session, {"ticket_id": ticket_id, "started_at": now, "filters_dropped_at": None})

    def to_look_up(self, limit: int) -> list[tuple[int, str]]:
        rows = self._session.execute(
            select(_tickets.c.id, _conversations.c.customer_user_id)
            .select_from(self._workspace_tickets())
            .where(
                # As the partial index ix_ticket_customer_unknown says it (a literal, not a parameter):
                # the planners then read only the few tickets not looked up yet.
                _tickets.c.state == literal_column("'waiting'"),
                ~_tickets.c.customer_looked_up,
                _conversations.c.workspace_id == self.workspace_id,
            )
            .order_by(*QUEUE_ORDER)
            .limit(limit)
        )
        return [(int(ticket_id), str(customer)) for ticket_id, customer in rows]

    def looked_up(self, ticket_id: int, language: str | None, utc_offset: int | None) -> None:
        self._session.execute(
            update(_tickets)
            .where(_tickets.c.id == ticket_id)
            .values(
                language=func.coalesce(_tickets.c.language, language),
                customer_utc_offset=utc_offset,
                customer_looked_up=True,
            )
        )

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
