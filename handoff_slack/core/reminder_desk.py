"""The Helpdesk's part for reminders and first-response targets (core.reminders says the rules).

The scheduler leader's job reads which waiting tickets may be due (`tickets_due_for_timers`, by wall
time), then fires each in a transaction of its own (`fire_timers`): the conversation is locked first,
as a claim locks it, and the ticket read as it is now, so a claim that landed between the read and
the firing wins and nothing is said; the steps fired are moved on by a conditional UPDATE on the
count read, so of two runs (a restart, two replicas) one fires them. Then the tickets that left the
queue get their first response's outcome (`decide_first_responses`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handoff_slack.core.audit import BOT_ACTOR, AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.priority import Priority, PrioritySource
from handoff_slack.core.reminder_storage import TicketTiming
from handoff_slack.core.reminders import (
    Mentions,
    RemindersConfig,
    SlaOutcome,
    WaitingTime,
    decide_sla,
    due_since,
    steps_due,
    wall_seconds,
)
from handoff_slack.core.states import EscalationReason, TicketState

DUE_READ_LIMIT = 500  # tickets fired per run at most; the next run (a second later) goes on
# Tickets that left the queue for good, or for a person: their first response can be decided.
_DECIDED_IN = (
    TicketState.CONNECTED,
    TicketState.CLOSED,
    TicketState.CANCELLED,
    TicketState.ANSWERED,
    TicketState.WATCH_ENDED,
)


@dataclass(frozen=True)
class ReminderRules:
    """What the app gives the reminders: the YAML's `reminders`, who a mention reaches, and how waiting
    time counts (wall time by default; business hours plug in here)."""

    config: RemindersConfig = field(default_factory=RemindersConfig)
    mentions: Mentions = field(default_factory=Mentions)
    waiting_time: WaitingTime = wall_seconds


@dataclass(frozen=True)
class TimersFired:
    """What a ticket's firing changed: notes stored for its thread, and whether its message shows more."""

    ticket_id: int
    steps: tuple[int, ...] = ()  # 1-based steps fired now
    conversation_id: int | None = None  # set when its outbox has a note to send
    message_changed: bool = False  # its level or its SLA mark changed
    raised_to: Priority | None = None


class ReminderDesk(HandoffSteps):
    reminder_rules: ReminderRules = ReminderRules()  # set by the app

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
            waited = rules.waiting_time(_since(ticket), now)
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
        """Tickets that left the queue get their first response's outcome; those whose message shows a
        breach now are returned (to update)."""
        shown = []
        with self.storage.transaction() as tx:
            for ticket_id in tx.reminders.left_queue_undecided([state.value for state in _DECIDED_IN], limit):
                ticket = tx.reminders.timing(ticket_id)
                if ticket is not None and self._decide_first_response(tx, ticket):
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

    def _decide_first_response(self, tx: HelpdeskTransaction, ticket: TicketTiming) -> bool:
        """A ticket out of the queue: met or breached by its first claim; never claimed, none (or
        breached, if it was marked while waiting). The wait counts until it was claimed or left."""
        was = SlaOutcome(ticket.sla_outcome) if ticket.sla_outcome else None
        claimed_at = ticket.claimed_at if ticket.reason != EscalationReason.TAKEN_OVER else None
        ended = claimed_at or ticket.closed_at
        waited = self.reminder_rules.waiting_time(_since(ticket), as_utc(ended)) if ended else 0.0
        target = self.reminder_rules.config.target(Priority(ticket.priority))
        outcome = decide_sla(waited, target, claimed_at is not None, was)
        if was is SlaOutcome.BREACHING:  # measured against the target it breached
            minutes = ticket.sla_target_minutes
        else:
            minutes = int(target.total_seconds() // 60) if target is not None else None
        decided = tx.reminders.decide_sla(ticket_id_of(ticket), ticket.sla_outcome, outcome.value, minutes, int(waited))
        return decided and outcome is SlaOutcome.BREACHED

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


def _since(ticket: TicketTiming) -> datetime:
    return as_utc(ticket.waiting_since or ticket.created_at)
