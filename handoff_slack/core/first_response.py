"""A ticket's first-response outcome (core.reminders says the rules), decided in the transaction that
takes the ticket out of the queue or out of supervision: a claim (Claim, a routing offer accepted, an
admin's assignment, an agent taking a supervised proposal), a take-over of a watched conversation, a
cancel, a proposal answered or withdrawn. So the update of the ticket message that follows that
transaction already shows the outcome (a breach's final wait), and the timers job finds nothing
left to decide for the ticket, nor a reason to update its message again.

The timers job still marks waiting tickets breached (under the conversation's lock, as a claim takes
it: of a claim and a breach, whichever locks first is seen by the other) and decides, by this same
function, what is left undecided: a watch that ended, or a ticket that left the queue before this
was decided in its own transaction (an older version). A transfer or a reassignment never decides:
the ticket was connected, and so decided, by the claim before it.
"""

from __future__ import annotations

from datetime import datetime

from handoff_slack.core.clock import as_utc
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.priority import Priority
from handoff_slack.core.reminder_storage import TicketTiming
from handoff_slack.core.reminders import ReminderRules, SlaOutcome, decide_sla
from handoff_slack.core.states import EscalationReason, TicketState

# Tickets that left the queue for good, or for a person: their first response can be decided.
DECIDED_IN = (
    TicketState.CONNECTED,
    TicketState.CLOSED,
    TicketState.CANCELLED,
    TicketState.ANSWERED,
    TicketState.WATCH_ENDED,
)
_UNDECIDED = (None, SlaOutcome.BREACHING)  # as storage's SLA_UNDECIDED


def decide_first_response(tx: HelpdeskTransaction, rules: ReminderRules, ticket_id: int) -> SlaOutcome | None:
    """Decide the ticket's first response if it left the queue and it is not decided yet: met or
    breached by its first claim; never claimed (a take-over is not a claim from the queue), none, or
    breached if it was marked while waiting. The wait counts until it was claimed or left. The outcome
    recorded now; None when there is nothing to decide (still waiting, proposed or watched, or
    decided before)."""
    ticket = tx.reminders.timing(ticket_id)  # as it is now: after the caller's change, in its transaction
    if ticket is None or ticket.state not in DECIDED_IN:
        return None
    was = SlaOutcome(ticket.sla_outcome) if ticket.sla_outcome else None
    if was not in _UNDECIDED:
        return None
    claimed_at = ticket.claimed_at if ticket.reason != EscalationReason.TAKEN_OVER else None
    ended = claimed_at or ticket.closed_at
    waited = rules.waiting_time(waiting_since(ticket), as_utc(ended)) if ended else 0.0
    target = rules.config.target(Priority(ticket.priority))
    outcome = decide_sla(waited, target, claimed_at is not None, was)
    if was is SlaOutcome.BREACHING:  # measured against the target it breached
        minutes = ticket.sla_target_minutes
    else:
        minutes = int(target.total_seconds() // 60) if target is not None else None
    decided = tx.reminders.decide_sla(ticket_id, ticket.sla_outcome, outcome.value, minutes, int(waited))
    return outcome if decided else None


def waiting_since(ticket: TicketTiming) -> datetime:
    """When the ticket's current wait began: it entered the queue (released: again), else its creation."""
    return as_utc(ticket.waiting_since or ticket.created_at)
