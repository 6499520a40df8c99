"""Assign (admins): a waiting or connected ticket goes to an agent at once, without asking them (the
ticket message's Assign…, `/handoff-assign`, a `/handoff-queue` line's Assign…). A waiting ticket is
claimed for them; a connected one changes hands, its pending transfer offers going stale.
"""

from __future__ import annotations

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.states import TicketState
from handoff_slack.core.ticket_owners import TicketOwners, kept_note
from handoff_slack.core.transfer_values import OwnershipEnd, OwnershipStart, TransferOutcome, TransferResult
from handoff_slack.core.views import TicketView


class Assignments(TicketOwners):
    """The Helpdesk's part for an admin's assignments (a mixin of Transfers)."""

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
            if (found := self._locked_view(tx, ticket_id)) is None:
                return TransferOutcome(TransferResult.NOT_FOUND)
            ticket, conversation, view = found
            note = kept_note(note)
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
