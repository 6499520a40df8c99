"""Release: the owner (or an admin) puts a connected ticket back in the queue with a note for whoever
takes it next. The ticket keeps its ID and creation time, so it goes back to its old place; the
customer hears their place, and routing offers it afresh (a new round).
"""

from __future__ import annotations

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.notices import Audience
from handoff_slack.core.states import TicketState
from handoff_slack.core.ticket_owners import TicketOwners, kept_note
from handoff_slack.core.transfer_offers import end_pending_offers
from handoff_slack.core.transfer_values import (
    OfferEnd,
    OwnershipEnd,
    TransferOutcome,
    TransferResult,
    back_in_queue,
    released_note,
)
from handoff_slack.core.views import TicketView


class Releases(TicketOwners):
    """The Helpdesk's part for releases (a mixin of Transfers)."""

    def release(self, ticket_id: int, user_id: str, is_admin: bool, note: str | None = None) -> TransferOutcome:
        """Back to the queue, in its old place (its ID and creation time are kept), with a note."""
        now = self.clock()
        with self.storage.transaction() as tx:
            if (found := self._locked_view(tx, ticket_id)) is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            ticket, conversation, view = found
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
            self._notify(
                tx, ticket.conversation_id, ticket_id, Audience.AGENTS, released_note(user_id, kept_note(note))
            )
            self._notify(tx, ticket.conversation_id, ticket_id, Audience.CUSTOMER, back_in_queue(position, ticket_id))
            tx.tickets.reload(ticket)
            return TransferOutcome(TransferResult.RELEASED, TicketView.from_rows(ticket, conversation), None, position)
