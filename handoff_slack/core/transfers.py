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

Its parts, one concept each: transfer_desk (an offer's life: offer, accept, decline, lapse), releases,
assignments, and ticket_owners (the history of owners, and the steps every change of hands shares).
"""

from __future__ import annotations

from handoff_slack.core.assignments import Assignments
from handoff_slack.core.helpdesk_storage import StoredTicket
from handoff_slack.core.releases import Releases
from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_desk import TransferDesk
from handoff_slack.core.transfer_values import TransferOutcome, TransferResult
from handoff_slack.core.views import TicketView


class Transfers(TransferDesk, Releases, Assignments):
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
