"""A transfer offer's life: the owning agent offers a connected ticket to another agent
(`offer_transfer`); the offer is a notice in the ticket's thread mentioning the target, with Accept /
Decline that only the target may press (`answer_offer`). Accepted, the ticket is theirs (exactly
once); declined, or refused because the target cannot take it now, it stays with its owner, who is
told in the thread; unanswered within `transfers.offer_timeout_seconds`, it lapses (`lapse_offers`,
the scheduler's job) and the owner is told too. An offer whose ticket moved on meanwhile goes stale.
"""

from __future__ import annotations

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience
from handoff_slack.core.states import TicketState
from handoff_slack.core.ticket_owners import TicketOwners, kept_note
from handoff_slack.core.transfer_offers import offer_becomes
from handoff_slack.core.transfer_values import (
    CannotAccept,
    OfferEnd,
    OfferState,
    OfferView,
    OwnershipEnd,
    OwnershipStart,
    TransferOutcome,
    TransferResult,
    declined_note,
    lapsed_note,
    offer_notice,
)
from handoff_slack.core.views import TicketView


class TransferDesk(TicketOwners):
    """The Helpdesk's part for transfer offers (a mixin of Transfers)."""

    def offer_transfer(self, ticket_id: int, from_user_id: str, to_user_id: str, note: str | None) -> TransferOutcome:
        """The owner offers the ticket to `to_user_id` (an agent: the edge checked it)."""
        now = self.clock()
        with self.storage.transaction() as tx:
            if (found := self._locked_view(tx, ticket_id)) is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            ticket, _, view = found
            if ticket.state != TicketState.CONNECTED:
                return TransferOutcome(TransferResult.NOT_OPEN, view)
            if ticket.agent_user_id != from_user_id:
                return TransferOutcome(TransferResult.NOT_ALLOWED, view)
            if to_user_id == from_user_id:
                return TransferOutcome(TransferResult.SAME_AGENT, view)
            kept = kept_note(note)
            row = {
                "ticket_id": ticket_id,
                "conversation_id": ticket.conversation_id,
                "from_user_id": from_user_id,
                "to_user_id": to_user_id,
                "note": kept,
                "state": OfferState.PENDING.value,
                "created_at": now,
            }
            offer_id = tx.transfers.add_offer(row)
            notice = offer_notice(offer_id, from_user_id, to_user_id, kept, OfferState.PENDING)
            tx.transfers.set_offer_notice(
                offer_id, tx.store_notice(ticket.conversation_id, ticket_id, Audience.AGENTS, notice)
            )
            offer = OfferView(offer_id, ticket_id, from_user_id, to_user_id, OfferState.PENDING)
            tx.audit.record(from_user_id, AuditAction.TRANSFER, now, ticket_id=ticket_id, subject_user_id=to_user_id)
            return TransferOutcome(TransferResult.OFFERED, view, offer)

    def answer_offer(
        self,
        offer_id: int,
        user_id: str,
        accept: bool,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        is_agent: bool = True,
        default_capacity: int | None = None,
    ) -> TransferOutcome:
        """The target accepts (the ticket is theirs, exactly once) or declines (the owner is told).
        Anyone else is refused; an offer whose ticket moved on since goes stale, changing nothing.

        At an accept the target is checked as they are now (`is_agent`: still on the team, the edge
        asked Slack; their status and load from the database): one who cannot take the ticket ends
        the offer as refused, and the owner is told why. `default_capacity`: None checks no load."""
        now = self.clock()
        with self.storage.transaction() as tx:
            unlocked = tx.transfers.offer(offer_id)
            if unlocked is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            conversation = tx.conversations.locked(unlocked.conversation_id)  # first, as in `claim`
            offer = tx.transfers.offer(offer_id, fresh=True)
            ticket = tx.tickets.get(unlocked.ticket_id, fresh=True)
            assert offer is not None and ticket is not None  # never deleted
            view = TicketView.from_rows(ticket, conversation)
            if user_id != offer.to_user_id:
                return TransferOutcome(TransferResult.NOT_TARGET, view, OfferView.from_row(offer))
            if offer.state != OfferState.PENDING:
                return TransferOutcome(TransferResult.ANSWERED, view, OfferView.from_row(offer))
            if ticket.state != TicketState.CONNECTED or ticket.agent_user_id != offer.from_user_id:
                offer_becomes(tx, offer, OfferState.STALE, now, _what_happened(view))
                return TransferOutcome(TransferResult.STALE, view, OfferView.from_row(offer))
            cannot = self._cannot_accept(tx, user_id, is_agent, default_capacity) if accept else None
            if cannot is not None:
                offer_becomes(tx, offer, OfferState.REFUSED, now, cannot)
                details = {"could_not_accept": cannot.value}
                tx.audit.record(user_id, AuditAction.DECLINE, now, ticket_id=ticket.id, details=details)
                notice = declined_note(offer.from_user_id, offer.to_user_id, cannot)
                self._notify(tx, ticket.conversation_id, ticket.id, Audience.AGENTS, notice)
                return TransferOutcome(
                    TransferResult.CANNOT_ACCEPT, view, OfferView.from_row(offer), cannot_accept=cannot
                )
            if not accept:
                offer_becomes(tx, offer, OfferState.DECLINED, now)
                tx.audit.record(user_id, AuditAction.DECLINE, now, ticket_id=ticket.id)
                notice = declined_note(offer.from_user_id, offer.to_user_id)
                self._notify(tx, ticket.conversation_id, ticket.id, Audience.AGENTS, notice)
                return TransferOutcome(TransferResult.DECLINED, view, OfferView.from_row(offer))
            if not tx.transfers.hand_over(
                unlocked.ticket_id, offer.from_user_id, user_id, agent_name, agent_avatar_url, now
            ):  # (the conversation's lock keeps the ticket as read above: a safeguard)
                offer_becomes(tx, offer, OfferState.STALE, now, OfferEnd.CHANGED_HANDS)
                return TransferOutcome(TransferResult.STALE, view, OfferView.from_row(offer))
            offer_becomes(tx, offer, OfferState.ACCEPTED, now)
            tx.audit.record(user_id, AuditAction.ACCEPT, now, ticket_id=ticket.id)
            self._changed_hands(
                tx, view, user_id, agent_name, user_id, OwnershipStart.TRANSFERRED, OwnershipEnd.TRANSFERRED, offer.note
            )
            tx.tickets.reload(ticket)
            return TransferOutcome(
                TransferResult.ACCEPTED, TicketView.from_rows(ticket, conversation), OfferView.from_row(offer)
            )

    @staticmethod
    def _cannot_accept(
        tx: HelpdeskTransaction, user_id: str, is_agent: bool, default_capacity: int | None
    ) -> CannotAccept | None:
        """Why the target cannot take the ticket now; None: they can. Their profile's row is locked
        (as a routing accept locks it), so two accepts of theirs take turns over their last place."""
        if not is_agent:
            return CannotAccept.NOT_AN_AGENT
        capacity = tx.offers.capacity_locked(user_id)
        status = tx.offers.availability(user_id)  # None: never set a status, not refused for it
        if status in (CannotAccept.AWAY.value, CannotAccept.OFFLINE.value):
            return CannotAccept(status)
        if default_capacity is not None and tx.offers.connected_count(user_id) >= (capacity or default_capacity):
            return CannotAccept.AT_CAPACITY
        return None

    def lapse_offers(self, limit: int = 100) -> list[int]:
        """Offers not answered within `transfers.offer_timeout_seconds` lapse, and their owners are told
        (once, whichever replica runs it: the offer's conditional UPDATE). The conversations whose
        outbox has news."""
        made_before = self.clock() - self.transfer_config.offer_lapses_after
        with self.storage.transaction() as tx:
            offer_ids = tx.transfers.lapsing_offers(made_before, limit)
        return [conversation_id for offer_id in offer_ids if (conversation_id := self._lapse(offer_id)) is not None]

    def _lapse(self, offer_id: int) -> int | None:
        now = self.clock()
        with self.storage.transaction() as tx:
            unlocked = tx.transfers.offer(offer_id)
            if unlocked is None:
                return None
            tx.conversations.locked(unlocked.conversation_id)  # first, as in `claim`
            offer = tx.transfers.offer(offer_id, fresh=True)
            ticket = tx.tickets.get(unlocked.ticket_id, fresh=True)
            if offer is None or ticket is None or offer.state != OfferState.PENDING:
                return None  # answered meanwhile
            still_theirs = ticket.state == TicketState.CONNECTED and ticket.agent_user_id == offer.from_user_id
            if not still_theirs:
                view = TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))
                offer_becomes(tx, offer, OfferState.STALE, now, _what_happened(view))
            else:
                offer_becomes(tx, offer, OfferState.LAPSED, now)
                seconds = self.transfer_config.offer_timeout_seconds
                notice = lapsed_note(offer.from_user_id, offer.to_user_id, seconds)
                self._notify(tx, ticket.conversation_id, ticket.id, Audience.AGENTS, notice)
            return offer.conversation_id


def _what_happened(ticket: TicketView) -> OfferEnd:
    """Why an offer of this ticket is no longer open, from the ticket as it is now."""
    if ticket.state is TicketState.CONNECTED:
        return OfferEnd.CHANGED_HANDS
    return OfferEnd.RELEASED if ticket.state is TicketState.WAITING else OfferEnd.CLOSED
