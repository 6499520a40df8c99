"""Supervised mode's proposals: every SQL statement of storing one, deciding it, its timeout, and
the counts reports read.

A decision is a conditional UPDATE on a pending proposal (and on its ticket, storage.tickets'
`from_proposal`): of concurrent deciders, on one replica or many, exactly one wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from handoff_slack.storage.models import Proposal

PENDING = "pending"  # core.proposals.ProposalOutcome.PENDING, as stored


class ProposalRepository:
    """The proposals, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, row: dict[str, Any]) -> None:
        self._session.add(Proposal(**row))
        self._session.flush()

    def get(self, ticket_id: int, fresh: bool = False) -> Proposal | None:
        """`fresh`: as the database has it now (after a conditional UPDATE), not as first loaded."""
        query = select(Proposal).where(col(Proposal.ticket_id) == ticket_id)
        if fresh:
            query = query.execution_options(populate_existing=True)
        return self._session.exec(query).first()

    def decide(
        self, ticket_id: int, outcome: str, by_user_id: str | None, now: datetime, sent_text: str | None = None
    ) -> bool:
        result = self._session.execute(
            update(Proposal)
            .where(col(Proposal.ticket_id) == ticket_id, col(Proposal.outcome) == PENDING)
            .values(outcome=outcome, decided_by_user_id=by_user_id, decided_at=now, sent_text=sent_text)
            .execution_options(synchronize_session=False)
        )
        return bool(cast(CursorResult[Any], result).rowcount)

    def expired(self, now: datetime, limit: int) -> list[int]:
        found = self._session.exec(
            select(Proposal.ticket_id)
            .where(col(Proposal.outcome) == PENDING, col(Proposal.expires_at) <= now)
            .order_by(col(Proposal.expires_at))
            .limit(limit)
        ).all()
        return list(found)

    def outcome_counts(self) -> list[tuple[str, str, str, int]]:
        rows = self._session.exec(
            select(Proposal.scenario_id, func.max(Proposal.scenario_title), Proposal.outcome, func.count())
            .group_by(col(Proposal.scenario_id), col(Proposal.outcome))
            .order_by(col(Proposal.scenario_id))
        ).all()
        return [(str(sid), str(title), str(outcome), int(count)) for sid, title, outcome, count in rows]
