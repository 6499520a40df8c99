"""Transfer and release: a connected ticket changes hands, or goes back to the queue.

- **Transfer**: the owning agent offers the ticket to another agent (`offer_transfer`); the offer is
  a notice in the ticket's thread mentioning the target, with Accept / Decline that only the target
  may press (`answer_offer`). Declined, the ticket stays with its owner, who is told in the thread.
- **Release**: the owner (or an admin) puts the ticket back in the queue (`release`): the ticket
  keeps its ID and creation time, so it goes back to its place; the customer hears their place.
- **Assign**: an admin gives any waiting or connected ticket to an agent at once (`assign`).

Each change of hands locks the conversation before the ticket (as claim and close do: the other
order deadlocks with a customer's own steps on PostgreSQL), then moves the ticket with a
conditional UPDATE on the owner it read, so of racing accepts, releases, reassignments and closes,
on any replica, exactly one wins. The customer is told in plain words who they talk to now (a
name, never an ID, never the note); the note for the next agent goes to the ticket's thread only.
Every owner's period is kept (`ticket_owner`): the ticket message lists the previous ones.
"""

from __future__ import annotations

from datetime import datetime

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredTicket
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.pending_offers import PendingOffers
from handoff_slack.core.states import EscalationReason, TicketState
from handoff_slack.core.transfer_offers import end_pending_offers, offer_becomes
from handoff_slack.core.transfer_values import (
    CannotAccept,
    OfferEnd,
    OfferState,
    OfferView,
    OwnerPeriod,
    OwnershipEnd,
    OwnershipStart,
    TransferOutcome,
    TransferResult,
    back_in_queue,
    declined_note,
    handed_note,
    lapsed_note,
    offer_notice,
    released_note,
)
from handoff_slack.core.views import TicketView

NOTE_LIMIT = 3000  # characters of a note for the next agent (the modal allows as many)


def _note(note: str | None) -> str | None:
    cleaned = (note or "").strip()[:NOTE_LIMIT]
    return cleaned or None


class Transfers(PendingOffers):
    """The Helpdesk's part for transfers, releases and reassignments (a mixin, like AgentDesk). An
    offer nobody answers lapses after `transfer_config`'s timeout, and the owner is told the ticket
    stays with them (the scheduler's job)."""

    def may_transfer(self, ticket_id: int, user_id: str, is_admin: bool) -> TransferOutcome:
        """Whether `user_id` may transfer, release or (an admin) reassign the ticket now."""
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            view = TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))
            return TransferOutcome(self._permission(ticket, user_id, is_admin), view)

    @staticmethod
    def _permission(ticket: StoredTicket, user_id: str, is_admin: bool) -> TransferResult:
        if is_admin and ticket.state in (TicketState.WAITING, TicketState.CONNECTED):
            return TransferResult.ALLOWED
        if ticket.state != TicketState.CONNECTED:
            return TransferResult.NOT_OPEN
        return TransferResult.ALLOWED if ticket.agent_user_id == user_id else TransferResult.NOT_ALLOWED

    # -- transfer: offer, accept, decline ---------------------------------------------------------

    def offer_transfer(self, ticket_id: int, from_user_id: str, to_user_id: str, note: str | None) -> TransferOutcome:
        """The owner offers the ticket to `to_user_id` (an agent: the edge checked it)."""
        now = self.clock()
        with self.storage.transaction() as tx:
            found = self._locked_ticket(tx, ticket_id)
            if found is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            ticket, conversation = found
            view = TicketView.from_rows(ticket, conversation)
            if ticket.state != TicketState.CONNECTED:
                return TransferOutcome(TransferResult.NOT_OPEN, view)
            if ticket.agent_user_id != from_user_id:
                return TransferOutcome(TransferResult.NOT_ALLOWED, view)
            if to_user_id == from_user_id:
                return TransferOutcome(TransferResult.SAME_AGENT, view)
            kept = _note(note)
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

    # -- release ------------------------------------------------------------------------------------

    def release(self, ticket_id: int, user_id: str, is_admin: bool, note: str | None = None) -> TransferOutcome:
        """Back to the queue, in its old place (its ID and creation time are kept), with a note."""
        now = self.clock()
        with self.storage.transaction() as tx:
            found = self._locked_ticket(tx, ticket_id)
            if found is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            ticket, conversation = found
            view = TicketView.from_rows(ticket, conversation)
            if ticket.state != TicketState.CONNECTED or not ticket.agent_user_id:
                return TransferOutcome(TransferResult.NOT_OPEN, view)
            if not is_admin and ticket.agent_user_id != user_id:
                return TransferOutcome(TransferResult.NOT_ALLOWED, view)
            if not tx.transfers.release(ticket_id, ticket.agent_user_id, now):
                return TransferOutcome(TransferResult.NOT_OPEN, view)  # (the lock makes it rare)
            tx.conversations.waiting(ticket.conversation_id, now)
            tx.offers.new_round(ticket_id, now)  # routing offers it afresh, even after an ended round
            self._end_period(tx, view, OwnershipEnd.RELEASED, user_id)
            tx.audit.record(
                user_id, AuditAction.RELEASE, now, ticket_id=ticket_id, subject_user_id=ticket.agent_user_id
            )
            end_pending_offers(tx, ticket_id, OfferEnd.RELEASED, now)
            position = tx.tickets.position(ticket_id)
            self._notify(tx, ticket.conversation_id, ticket_id, Audience.AGENTS, released_note(user_id, _note(note)))
            self._notify(tx, ticket.conversation_id, ticket_id, Audience.CUSTOMER, back_in_queue(position, ticket_id))
            tx.tickets.reload(ticket)
            return TransferOutcome(TransferResult.RELEASED, TicketView.from_rows(ticket, conversation), None, position)

    # -- assign (admins) ---------------------------------------------------------------------------

    def assign(
        self,
        ticket_id: int,
        admin_user_id: str,
        to_user_id: str,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        note: str | None = None,
        only_waiting: bool = False,
    ) -> TransferOutcome:
        """An admin gives a waiting or connected ticket to an agent, without asking them.
        `only_waiting` (from the queue): a ticket claimed meanwhile is left with its owner (NOT_OPEN)."""
        now = self.clock()
        with self.storage.transaction() as tx:
            found = self._locked_ticket(tx, ticket_id)
            if found is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            ticket, conversation = found
            view = TicketView.from_rows(ticket, conversation)
            note = _note(note)
            if only_waiting and ticket.state != TicketState.WAITING:
                return TransferOutcome(TransferResult.NOT_OPEN, view)
            if ticket.state == TicketState.WAITING:
                if not self._claim_waiting(tx, ticket_id, to_user_id, agent_name, agent_avatar_url, now):
                    return TransferOutcome(TransferResult.NOT_OPEN, view)  # (the lock makes it rare)
                tx.conversations.connected(ticket.conversation_id, now)
                self._begin_period(tx, ticket_id, to_user_id, agent_name, OwnershipStart.ASSIGNED, now)
                self._tell_new_owner(
                    tx, view, None, to_user_id, agent_name, admin_user_id, OwnershipStart.ASSIGNED, note
                )
            elif ticket.state == TicketState.CONNECTED and ticket.agent_user_id:
                if ticket.agent_user_id == to_user_id:
                    return TransferOutcome(TransferResult.SAME_AGENT, view)
                if not tx.transfers.hand_over(
                    ticket_id, ticket.agent_user_id, to_user_id, agent_name, agent_avatar_url, now
                ):
                    return TransferOutcome(TransferResult.NOT_OPEN, view)  # (the lock makes it rare)
                self._changed_hands(
                    tx,
                    view,
                    to_user_id,
                    agent_name,
                    admin_user_id,
                    OwnershipStart.ASSIGNED,
                    OwnershipEnd.REASSIGNED,
                    note,
                )
            else:
                return TransferOutcome(TransferResult.NOT_OPEN, view)
            tx.audit.record(admin_user_id, AuditAction.ASSIGN, now, ticket_id=ticket_id, subject_user_id=to_user_id)
            tx.tickets.reload(ticket)
            return TransferOutcome(TransferResult.ASSIGNED, TicketView.from_rows(ticket, conversation))

    # -- history --------------------------------------------------------------------------------

    def owners(self, ticket: TicketView) -> tuple[OwnerPeriod, ...]:
        """Every owner the ticket had, oldest first (the current one last, with no end)."""
        with self.storage.transaction() as tx:
            periods = [OwnerPeriod.from_row(row) for row in tx.transfers.periods(ticket.id)]
        if ticket.agent_user_id and not any(p.ended_how is None for p in periods):
            # Claimed (or taken over) since the last change: that period has no row until it ends.
            periods.append(self._claim_period(ticket, None, None))
        return tuple(periods)

    # -- internals --------------------------------------------------------------------------------

    def _changed_hands(
        self,
        tx: HelpdeskTransaction,
        before: TicketView,
        to_user_id: str,
        agent_name: str | None,
        by_user_id: str,
        start: OwnershipStart,
        end: OwnershipEnd,
        note: str | None,
    ) -> None:
        now = self.clock()
        self._end_period(tx, before, end, by_user_id)
        self._begin_period(tx, before.id, to_user_id, agent_name, start, now)
        end_pending_offers(tx, before.id, OfferEnd.CHANGED_HANDS, now)
        self._tell_new_owner(tx, before, before.agent_user_id, to_user_id, agent_name, by_user_id, start, note)

    def _tell_new_owner(
        self,
        tx: HelpdeskTransaction,
        ticket: TicketView,
        from_user_id: str | None,
        to_user_id: str,
        agent_name: str | None,
        by_user_id: str,
        start: OwnershipStart,
        note: str | None,
    ) -> None:
        # The thread first: the new owner may reply before the customer's notice is out.
        said = handed_note(from_user_id, to_user_id, by_user_id, start, note)
        self._notify(tx, ticket.conversation_id, ticket.id, Audience.AGENTS, said)
        self._notify(tx, ticket.conversation_id, ticket.id, Audience.CUSTOMER, Notice.connected(agent_name))

    def _end_period(self, tx: HelpdeskTransaction, before: TicketView, how: OwnershipEnd, by_user_id: str) -> None:
        """End the current owner's period (written now if it began with a claim or a take-over)."""
        now = self.clock()
        current = tx.transfers.current_period(before.id)
        if current is not None and current.id is not None:
            tx.transfers.end_period(current.id, how.value, by_user_id, now)
            return
        period = self._claim_period(before, how, now)
        tx.transfers.begin_period(
            {
                "ticket_id": before.id,
                "agent_user_id": period.agent_user_id,
                "agent_name": period.agent_name,
                "began_how": period.began_how.value,
                "began_at": period.began_at,
                "ended_how": how.value,
                "ended_at": now,
                "ended_by_user_id": by_user_id,
            }
        )

    @staticmethod
    def _claim_period(ticket: TicketView, how: OwnershipEnd | None, ended_at: datetime | None) -> OwnerPeriod:
        began = OwnershipStart.TAKEN_OVER if ticket.reason == EscalationReason.TAKEN_OVER else OwnershipStart.CLAIMED
        return OwnerPeriod(
            ticket.agent_user_id or "",
            ticket.agent_name,
            began,
            ticket.claimed_at,
            how,
            ended_at,
        )

    @staticmethod
    def _begin_period(
        tx: HelpdeskTransaction, ticket_id: int, user_id: str, name: str | None, how: OwnershipStart, now: datetime
    ) -> None:
        row = {"ticket_id": ticket_id, "agent_user_id": user_id, "agent_name": name, "began_how": how.value}
        tx.transfers.begin_period({**row, "began_at": now})


def _what_happened(ticket: TicketView) -> OfferEnd:
    """Why an offer of this ticket is no longer open, from the ticket as it is now."""
    if ticket.state is TicketState.CONNECTED:
        return OfferEnd.CHANGED_HANDS
    return OfferEnd.RELEASED if ticket.state is TicketState.WAITING else OfferEnd.CLOSED
