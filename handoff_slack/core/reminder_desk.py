"""The Helpdesk's part for reminders and first-response targets (core.reminders says the rules).

The scheduler leader's job reads which waiting tickets may be due (`tickets_due_for_timers`, by wall
time), then fires each in a transaction of its own (`fire_timers`): the conversation is locked first,
as a claim locks it, and the ticket read as it is now, so a claim that landed between the read and
the firing wins and nothing is said; the steps fired are moved on by a conditional UPDATE on the
count read, so of two runs (a restart, two replicas) one fires them. A ticket's first response is
decided in the transaction that takes it out of the queue (core.first_response); the job then decides
only what is left undecided (`decide_first_responses`: an ended watch, or a ticket that left the
queue under an older version).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handoff_slack.core.audit import BOT_ACTOR, AuditAction
from handoff_slack.core.first_response import DECIDED_IN, decide_first_response, waiting_since
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.priority import Priority, PrioritySource
from handoff_slack.core.reminder_storage import TicketTiming
from handoff_slack.core.reminders import SlaOutcome, due_since, steps_due
from handoff_slack.core.states import TicketState

DUE_READ_LIMIT = 500  # tickets fired per run at most; the next run (a second later) goes on


@dataclass(frozen=True)
class TimersFired:
    """What a ticket's firing changed: notes stored for its thread, and whether its message shows more."""

    ticket_id: int
    steps: tuple[int, ...] = ()  # 1-based steps fired now
    conversation_id: int | None = None  # set when its outbox has a note to send
    message_changed: bool = False  # its level or its SLA mark changed
    raised_to: Priority | None = None


class ReminderDesk(HandoffSteps):
    def tickets_due_for_timers(self, limit: int = DUE_READ_LIMIT) -> list[int]:
        """Waiting tickets a step or a first-response target may be due for now, oldest wait first."""
        rules, now = self.reminder_rules, self.clock()
        config = rules.config
        step_cutoffs = [due_since(rules.waiting_time, now, step.after) for step in config.steps]
        target_cutoffs = {
            int(level): due_since(rules.waiting_time, now, target) for level, target in config.first_response.items()
        }
        if not step_cutoffs and not target_cutoffs:
            return []
        with self.storage.transaction() as tx:
            return tx.reminders.waiting_due(step_cutoffs, target_cutoffs, limit)

    def fire_timers(self, ticket_id: int) -> TimersFired:
        """Fire what is due for a still-waiting ticket: its reminder steps, once each, and its breach mark."""
        rules = self.reminder_rules
        now = self.clock()
        with self.storage.transaction() as tx:
            if self._locked_ticket(tx, ticket_id) is None:  # the conversation first, as a claim locks it
                return TimersFired(ticket_id)
            ticket = tx.reminders.timing(ticket_id)
            if ticket is None or ticket.state != TicketState.WAITING:  # claimed or cancelled meanwhile
                return TimersFired(ticket_id)
            waited = rules.waiting_time(waiting_since(ticket), now)
            changed = self._mark_breach(tx, ticket, waited)
            due = steps_due(rules.config.steps, ticket.reminder_steps, waited)
            if not due or not tx.reminders.steps_fired(ticket_id, ticket.reminder_steps, due[-1] + 1):
                return TimersFired(ticket_id, message_changed=changed)
            level = Priority(ticket.priority)
            raised_to = None
            for index in due:
                step = rules.config.steps[index]
                higher = step.level_after(level)
                raised = None
                if higher > level and self._raise(tx, ticket, level, higher, index + 1):
                    raised, level, raised_to, changed = (level, higher), higher, higher, True
                note = reminder_note(index + 1, int(waited // 60), rules.mentions.tokens(step.mention), raised)
                self._notify(tx, ticket.conversation_id, ticket_id, Audience.AGENTS, note)
            fired = tuple(index + 1 for index in due)
            return TimersFired(ticket_id, fired, ticket.conversation_id, changed, raised_to)

    def decide_first_responses(self, limit: int = DUE_READ_LIMIT) -> list[int]:
        """Tickets that left the queue undecided get their first response's outcome (core.first_response:
        those that leave it now decide it themselves); those whose message shows a breach now are
        returned (to update)."""
        shown = []
        with self.storage.transaction() as tx:
            for ticket_id in tx.reminders.left_queue_undecided([state.value for state in DECIDED_IN], limit):
                if decide_first_response(tx, self.reminder_rules, ticket_id) is SlaOutcome.BREACHED:
                    shown.append(ticket_id)
        return shown

    # -- internals ----------------------------------------------------------------------------------

    def _mark_breach(self, tx: HelpdeskTransaction, ticket: TicketTiming, waited: float) -> bool:
        """A waiting ticket past its target is marked breached now (once)."""
        target = self.reminder_rules.config.target(Priority(ticket.priority))
        if ticket.sla_outcome is not None or target is None or waited <= target.total_seconds():
            return False
        minutes = int(target.total_seconds() // 60)
        return tx.reminders.decide_sla(ticket_id_of(ticket), None, SlaOutcome.BREACHING.value, minutes, int(waited))

    def _raise(self, tx: HelpdeskTransaction, ticket: TicketTiming, was: Priority, to: Priority, step: int) -> bool:
        """A step's raise: never over an agent's choice; audited with the bot as the actor; the customer
        is not told (nothing of the reminders reaches them)."""
        if not tx.reminders.raise_level(ticket_id_of(ticket), int(was), int(to), PrioritySource.REMINDER.value):
            return False
        details = {"from": was.label, "to": to.label, "why": f"reminder step {step}"}
        tx.audit.record(BOT_ACTOR, AuditAction.PRIORITY, self.clock(), ticket_id=ticket_id_of(ticket), details=details)
        return True


def reminder_note(
    step: int, waited_minutes: int, mentions: list[str], raised: tuple[Priority, Priority] | None
) -> Notice:
    """The note in the ticket's thread (`step`: 1-based; `raised`: the level before and after)."""
    facts: dict[str, Any] = {"step": step, "waited_minutes": waited_minutes, "mentions": mentions}
    if raised is not None:
        facts["raised_from"], facts["raised_to"] = raised[0].label, raised[1].label
    return Notice(NoticeKind.REMINDER_NOTE, facts)


def ticket_id_of(ticket: TicketTiming) -> int:
    assert ticket.id is not None  # a stored row
    return ticket.id
