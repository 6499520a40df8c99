"""Changing a waiting ticket's priority: an agent's `/handoff-priority`, and a waiting customer's
frustrated message (core.priority says the levels and the rules).

Both are conditional UPDATEs of a waiting ticket, made under the conversation's lock (taken first,
as the customer's own steps, claims and closes take it), so a change races a claim or a cancel
without reviving the ticket; places are counted afterwards in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.customer_mood import CustomerMood
from handoff_slack.core.helpdesk_outcomes import CustomerMessageAction, CustomerMessageOutcome
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.priority import NOT_RAISED_AFTER, Priority, PrioritySource, customer_told
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketView


class PriorityResult(StrEnum):
    SET = "set"  # the ticket has the level now (it may have had it before: `was`)
    NOT_WAITING = "not_waiting"  # claimed, closed, cancelled, or not in the queue
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class PriorityOutcome:
    result: PriorityResult
    ticket: TicketView | None = None  # as it is now; None only when not found
    was: Priority | None = None  # the level before (SET)
    position: int | None = None  # its place in the queue now (SET)
    customer_told: bool = False  # moved up: the customer hears their new place


class QueuePriority(CustomerMood):
    def set_priority(self, ticket_id: int, level: Priority, by_user_id: str) -> PriorityOutcome:
        """An agent (or admin) sets a waiting ticket's level; the ticket message is marked stale."""
        with self.storage.transaction() as tx:
            locked = self._locked_ticket(tx, ticket_id)
            if locked is None:
                return PriorityOutcome(PriorityResult.NOT_FOUND)
            found, conversation = locked
            if found.state != TicketState.WAITING:
                return PriorityOutcome(PriorityResult.NOT_WAITING, TicketView.from_rows(found, conversation))
            was = Priority(found.priority)
            before = tx.tickets.position(ticket_id)
            tx.tickets.set_priority(ticket_id, level, by_user_id)  # waiting, and locked: it changes
            details = {"from": was.label, "to": level.label}
            tx.audit.record(by_user_id, AuditAction.PRIORITY, self.clock(), ticket_id=ticket_id, details=details)
            position = tx.tickets.position(ticket_id)
            told = customer_told(before, position)
            if told:
                self._notify(
                    tx, found.conversation_id, ticket_id, Audience.CUSTOMER, Notice.moved_up(position, ticket_id)
                )
                tx.waiting_timers.position_said(ticket_id, position, self.clock())  # core.queue_updates
            tx.tickets.reload(found)
            view = TicketView.from_rows(found, conversation)
            return PriorityOutcome(PriorityResult.SET, view, was, position, told)

    def _still_waiting(
        self, tx: HelpdeskTransaction, conversation_id: int | None, ticket_id: int, text: str, quiet: bool
    ) -> CustomerMessageOutcome:
        """A waiting customer's message `text`, kept for the agent: they are told their place (unless
        flooding, `quiet`). A frustrated message first raises their ticket one level (once; core.priority)."""
        frustrated = self._waiting_mood(tx, ticket_id, text)  # marked in the queue (core.customer_mood)
        raised = (
            frustrated
            and self.priorities.raises_for_frustration
            and tx.tickets.raise_priority(ticket_id, PrioritySource.FRUSTRATION, NOT_RAISED_AFTER)
        )
        position = tx.tickets.position(ticket_id)
        if not quiet:
            self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, Notice.still_waiting(position, ticket_id))
            tx.waiting_timers.position_said(ticket_id, position, None)  # core.queue_updates measures from it
        return CustomerMessageOutcome(
            CustomerMessageAction.WAITING, conversation_id, ticket_id, position, priority_raised=raised
        )
