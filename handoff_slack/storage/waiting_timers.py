"""The waiting timers' statements (core.waiting_storage): Core statements on the ticket table, each
timer fired by a conditional UPDATE (of two runs, on any replica, one wins)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session

from handoff_slack.core.states import Direction, TicketState
from handoff_slack.core.waiting_storage import ConnectedTicket, QueuedTicket, TicketTimers
from handoff_slack.storage.models import message_table, ticket_table
from handoff_slack.storage.tickets import QUEUE_ORDER, rows_changed

_tickets, _messages = ticket_table, message_table
_WAITING = TicketState.WAITING.value
_CONNECTED = TicketState.CONNECTED.value
_SAID = (Direction.FROM_CUSTOMER.value, Direction.FROM_AGENT.value)

_TIMERS = core_select(
    _tickets.c.id,
    _tickets.c.conversation_id,
    _tickets.c.state,
    _tickets.c.agent_user_id,
    _tickets.c.wait_offers,
    _tickets.c.async_at,
    _tickets.c.idle_warned_at,
    _tickets.c.idle_snoozed_until,
).where(_tickets.c.id == bindparam("ticket_id"))
_QUEUE = (
    core_select(
        _tickets.c.id,
        _tickets.c.conversation_id,
        _tickets.c.async_at,
        _tickets.c.position_told,
        _tickets.c.position_told_at,
    )
    .where(_tickets.c.state == _WAITING)
    .order_by(*QUEUE_ORDER)
)
# The ticket's newest message from either side: the conversation's index read backwards (ix_message_conversation).
_LAST_SAID = (
    core_select(_messages.c.created_at)
    .where(
        _messages.c.conversation_id == _tickets.c.conversation_id,
        _messages.c.ticket_id == _tickets.c.id,
        _messages.c.direction.in_(_SAID),
    )
    .order_by(_messages.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_CONNECTED_TICKETS = (
    core_select(
        _tickets.c.id,
        _tickets.c.conversation_id,
        _tickets.c.claimed_at,
        _LAST_SAID.label("last_message_at"),
        _tickets.c.idle_warned_at,
        _tickets.c.idle_snoozed_until,
    )
    .where(_tickets.c.state == _CONNECTED)
    .order_by(_tickets.c.id)
)


class WaitingTimerRepository:
    """core.waiting_storage.WaitingTimers inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def timers(self, ticket_id: int) -> TicketTimers | None:
        return self._session.execute(_TIMERS, {"ticket_id": ticket_id}).first()

    def due_offers(
        self, first_before: datetime, again_before: datetime, limit: int, ticket_id: int | None = None
    ) -> Sequence[int]:
        since = func.coalesce(_tickets.c.waiting_since, _tickets.c.created_at)
        statement = (
            core_select(_tickets.c.id)
            .where(
                _tickets.c.state == _WAITING,
                _tickets.c.async_at.is_(None),
                or_(
                    and_(_tickets.c.wait_offers == 0, since <= first_before),
                    and_(
                        _tickets.c.wait_offers == 1,
                        _tickets.c.kept_waiting_at <= again_before,
                        since <= again_before,  # back in the queue since (released): its own wait first
                    ),
                ),
            )
            .order_by(_tickets.c.id)
            .limit(limit)
        )
        if ticket_id is not None:
            statement = statement.where(_tickets.c.id == ticket_id)
        return [int(row.id) for row in self._session.execute(statement)]

    def offer_made(self, ticket_id: int, number: int) -> bool:
        return self._changed(
            ticket_id,
            (_tickets.c.state == _WAITING, _tickets.c.async_at.is_(None), _tickets.c.wait_offers == number - 1),
            wait_offers=number,
        )

    def keep_waiting(self, ticket_id: int, now: datetime) -> bool:
        return self._changed(
            ticket_id, (_tickets.c.state == _WAITING, _tickets.c.async_at.is_(None)), kept_waiting_at=now
        )

    def answer_later(self, ticket_id: int, now: datetime) -> bool:
        return self._changed(
            ticket_id,
            (_tickets.c.state == _WAITING, _tickets.c.async_at.is_(None)),
            async_at=now,
            message_stale=True,
        )

    def queue(self) -> Sequence[QueuedTicket]:
        return self._session.execute(_QUEUE).all()

    def tell_position(self, ticket_id: int, position: int, was: int | None, now: datetime | None) -> bool:
        values: dict[str, Any] = {"position_told": position}
        if now is not None:
            values["position_told_at"] = now
        return self._changed(
            ticket_id, (_tickets.c.state == _WAITING, _tickets.c.position_told.is_not_distinct_from(was)), **values
        )

    def position_said(self, ticket_id: int, position: int, now: datetime | None) -> None:
        values: dict[str, Any] = {"position_told": position}
        if now is not None:
            values["position_told_at"] = now
        self._changed(ticket_id, (_tickets.c.state == _WAITING,), **values)

    def connected(self) -> Sequence[ConnectedTicket]:
        return self._session.execute(_CONNECTED_TICKETS).all()

    def connected_one(self, ticket_id: int) -> ConnectedTicket | None:
        return self._session.execute(_CONNECTED_TICKETS.where(_tickets.c.id == ticket_id)).first()

    def warn_idle(self, ticket_id: int, was: datetime | None, now: datetime) -> bool:
        return self._changed(
            ticket_id,
            (_tickets.c.state == _CONNECTED, _tickets.c.idle_warned_at.is_not_distinct_from(was)),
            idle_warned_at=now,
        )

    def snooze_idle(self, ticket_id: int, until: datetime) -> bool:
        return self._changed(
            ticket_id, (_tickets.c.state == _CONNECTED,), idle_snoozed_until=until, idle_warned_at=None
        )

    def _changed(self, ticket_id: int, conditions: Sequence[Any], **values: Any) -> bool:
        statement = update(_tickets).where(_tickets.c.id == ticket_id, *conditions).values(**values)
        return bool(rows_changed(self._session.execute(statement)))
