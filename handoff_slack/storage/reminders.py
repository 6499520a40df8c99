"""Reminders and first-response targets: every SQL statement of core.reminder_desk.

Each change is a conditional UPDATE on what the caller read (the steps fired, the outcome, the
level), so of two runs of the job, on any replica, one changes the row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, text, update
from sqlmodel import Session, col, select

from handoff_slack.core.priority import PrioritySource
from handoff_slack.core.reminders import SLA_BREACHES
from handoff_slack.core.states import TicketState
from handoff_slack.storage.models import SLA_UNDECIDED, Ticket
from handoff_slack.storage.tickets import rows_changed

# As the partial index ix_ticket_sla_undecided says it, word for word (no bound parameter), so the
# planners of both databases see the query's condition implies the index's and use it.
_UNDECIDED = text(f"({SLA_UNDECIDED})")
_SHOWN = frozenset(outcome.value for outcome in SLA_BREACHES)  # on the ticket message


class ReminderRepository:
    """Inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def waiting_due(
        self, step_cutoffs: Sequence[datetime], target_cutoffs: Mapping[int, datetime], limit: int
    ) -> list[int]:
        since = func.coalesce(col(Ticket.waiting_since), col(Ticket.created_at))
        due: list[Any] = [
            and_(col(Ticket.reminder_steps) == fired, since <= cutoff) for fired, cutoff in enumerate(step_cutoffs)
        ]
        due.extend(
            and_(col(Ticket.sla_outcome).is_(None), col(Ticket.priority) == level, since <= cutoff)
            for level, cutoff in target_cutoffs.items()
        )
        found = self._session.exec(
            select(Ticket.id)
            .where(col(Ticket.state) == TicketState.WAITING, or_(false(), *due))
            .order_by(since, col(Ticket.id))
            .limit(limit)
        ).all()
        return [ticket_id for ticket_id in found if ticket_id is not None]

    def left_queue_undecided(self, states: Sequence[str], limit: int) -> list[int]:
        found = self._session.exec(
            select(Ticket.id).where(col(Ticket.state).in_(states), _UNDECIDED).order_by(col(Ticket.id)).limit(limit)
        ).all()
        return [ticket_id for ticket_id in found if ticket_id is not None]

    def timing(self, ticket_id: int) -> Ticket | None:
        return self._session.get(Ticket, ticket_id, populate_existing=True)

    def steps_fired(self, ticket_id: int, was: int, now_fired: int) -> bool:
        statement = (
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.state) == TicketState.WAITING,
                col(Ticket.reminder_steps) == was,
            )
            .values(reminder_steps=now_fired)
        )
        return bool(rows_changed(self._session.execute(statement)))

    def decide_sla(
        self, ticket_id: int, was: str | None, outcome: str, target_minutes: int | None, waited_seconds: int
    ) -> bool:
        values: dict[str, Any] = {
            "sla_outcome": outcome,
            "sla_target_minutes": target_minutes,
            "sla_waited_seconds": waited_seconds,
        }
        if outcome in _SHOWN:
            values["message_stale"] = True
        statement = (
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.sla_outcome).is_not_distinct_from(was))
            .values(**values)
        )
        return bool(rows_changed(self._session.execute(statement)))

    def raise_level(self, ticket_id: int, was: int, level: int, source: str) -> bool:
        statement = (
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.state) == TicketState.WAITING,
                col(Ticket.priority) == was,
                or_(col(Ticket.priority_source).is_(None), col(Ticket.priority_source) != PrioritySource.AGENT.value),
            )
            .values(priority=level, priority_source=source, priority_set_by=None, message_stale=True)
        )
        return bool(rows_changed(self._session.execute(statement)))
