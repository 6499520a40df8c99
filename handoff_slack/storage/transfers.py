"""Transfer and release: every SQL statement of a ticket changing hands, its owners' periods and
the offers of it to another agent (core.transfers).

Changes of hands are conditional UPDATEs on the ticket (still connected, still with the agent the
caller read): of racing accepts, releases, reassignments and closes, on any replica, exactly one
changes the row. An offer is answered with a conditional UPDATE too (still pending).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_values import OfferState
from handoff_slack.storage.models import Ticket, TicketOwner, TransferOffer
from handoff_slack.storage.tickets import offers_changed, rows_changed


class TransferRepository:
    """Owners and offers, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- the ticket changing hands ----------------------------------------------------------------

    def hand_over(
        self,
        ticket_id: int,
        from_user_id: str,
        to_user_id: str,
        agent_name: str | None,
        agent_avatar_url: str | None,
        now: datetime,
    ) -> bool:
        return self._connected_with(
            ticket_id,
            from_user_id,
            agent_user_id=to_user_id,
            agent_name=agent_name,
            agent_avatar_url=agent_avatar_url,
            claimed_at=now,
        )

    def release(self, ticket_id: int, owner_user_id: str, now: datetime) -> bool:
        # Its ID and created_at stay: the queue's order puts it back where it was.
        return self._connected_with(
            ticket_id,
            owner_user_id,
            state=TicketState.WAITING,
            agent_user_id=None,
            agent_name=None,
            agent_avatar_url=None,
            claimed_at=None,
            waiting_since=now,  # it waits anew: its reminders and waiting timeout start again
            reminder_steps=0,
            position_told=None,  # its queue updates start again from the place it is told now
            async_at=None,  # waiting again, and told so: no longer "answered later"
        )

    def _connected_with(self, ticket_id: int, owner_user_id: str, **values: Any) -> bool:
        statement = (
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.state) == TicketState.CONNECTED,
                col(Ticket.agent_user_id) == owner_user_id,
            )
            .values(message_stale=True, **values)
        )
        return bool(rows_changed(self._session.execute(statement)))

    # -- owners ---------------------------------------------------------------------------------------

    def current_period(self, ticket_id: int) -> TicketOwner | None:
        return self._session.exec(
            select(TicketOwner).where(col(TicketOwner.ticket_id) == ticket_id, col(TicketOwner.ended_at).is_(None))
        ).first()

    def begin_period(self, row: dict[str, Any]) -> None:
        self._session.add(TicketOwner(**row))
        self._session.flush()

    def end_period(self, period_id: int, how: str, by_user_id: str, now: datetime) -> None:
        self._session.execute(
            update(TicketOwner)
            .where(col(TicketOwner.id) == period_id)
            .values(ended_how=how, ended_at=now, ended_by_user_id=by_user_id)
        )

    def periods(self, ticket_id: int) -> Sequence[TicketOwner]:
        return self._session.exec(
            select(TicketOwner).where(col(TicketOwner.ticket_id) == ticket_id).order_by(col(TicketOwner.id))
        ).all()

    # -- offers ---------------------------------------------------------------------------------------

    def add_offer(self, row: dict[str, Any]) -> int:
        offer = TransferOffer(**row)
        self._session.add(offer)
        self._session.flush()
        assert offer.id is not None  # stored by the flush
        offers_changed(self._session, offer.ticket_id)
        return offer.id

    def set_offer_notice(self, offer_id: int, notice_id: int) -> None:
        self._session.execute(
            update(TransferOffer).where(col(TransferOffer.id) == offer_id).values(notice_id=notice_id)
        )

    def offer(self, offer_id: int, fresh: bool = False) -> TransferOffer | None:
        return self._session.get(TransferOffer, offer_id, populate_existing=fresh)

    def decide_offer(self, offer_id: int, state: str, now: datetime) -> bool:
        statement = (
            update(TransferOffer)
            .where(col(TransferOffer.id) == offer_id, col(TransferOffer.state) == OfferState.PENDING)
            .values(state=state, decided_at=now)
        )
        if not rows_changed(self._session.execute(statement)):
            return False
        ticket_id = select(TransferOffer.ticket_id).where(col(TransferOffer.id) == offer_id).scalar_subquery()
        offers_changed(self._session, ticket_id)
        return True

    def pending_offers(self, ticket_id: int) -> Sequence[TransferOffer]:
        return self._session.exec(
            select(TransferOffer)
            .where(col(TransferOffer.ticket_id) == ticket_id, col(TransferOffer.state) == OfferState.PENDING)
            .order_by(col(TransferOffer.id))
        ).all()

    def lapsing_offers(self, made_before: datetime, limit: int) -> list[int]:
        found = self._session.exec(
            select(TransferOffer.id)
            .where(col(TransferOffer.state) == OfferState.PENDING, col(TransferOffer.created_at) < made_before)
            .order_by(col(TransferOffer.id))
            .limit(limit)
        ).all()
        return [offer_id for offer_id in found if offer_id is not None]
